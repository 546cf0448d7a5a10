// Command gen writes the language and shape fixtures of the reply parser's
// corpus (../replies) and their truth entries, each message laid out as the
// client it names writes it: headers, MIME structure, charset, transfer
// encoding, quoting. Our own emails quoted in them are rendered by the real
// templates (English) or are the translations in originals.go.
//
//	go run ./mailer/reply/testdata/gen
//
// The .eml files are committed as data; run this only to add fixtures.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// truth is one entry of truth.json.
type truth struct {
	RootEmail   *string   `json:"root_email"`
	Nickname    *string   `json:"nickname"`
	SupportType *string   `json:"support_type"`
	RequestRef  *string   `json:"request_ref"`
	Complete    bool      `json:"complete"`
	AutoReply   *bool     `json:"auto_reply,omitempty"`
	Problems    *[]string `json:"problems,omitempty"`
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// want is what the parser must read: "" for null; problems exactly.
func want(root, nick, support string, problems ...string) truth {
	if problems == nil {
		problems = []string{}
	}
	return truth{RootEmail: ptr(root), Nickname: ptr(nick), SupportType: ptr(support),
		Complete: root != "" && nick != "" && support != "", Problems: &problems}
}

func main() {
	dir := "mailer/reply/testdata/replies"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	var all []fixture
	for _, set := range [][]fixture{fixturesEN, fixturesDE, fixturesES, fixturesPT, fixturesNL, fixturesIT, fixturesFR, fixturesCA} {
		all = append(all, set...)
	}
	truthPath := filepath.Join(dir, "truth.json")
	b, err := os.ReadFile(truthPath)
	check(err)
	var tm map[string]truth
	check(json.Unmarshal(b, &tm))
	seen := map[string]bool{}
	for i := range all {
		f := &all[i]
		if seen[f.file] {
			panic("duplicate " + f.file)
		}
		seen[f.file] = true
		l, ok := locales[f.loc]
		if !ok {
			panic(f.file + ": locale " + f.loc)
		}
		render, ok := clients[f.client]
		if !ok {
			panic(f.file + ": client " + f.client)
		}
		if f.date == "" {
			f.date = "Thu, 26 Nov 2026 09:" + fmt.Sprintf("%02d:%02d", len(f.file)%60, len(f.body)%60) + " +0100"
		}
		msg := render(f, l)
		if strings.Contains(msg, "\n") && strings.Count(msg, "\r\n") != strings.Count(msg, "\n") {
			panic(f.file + ": bare LF")
		}
		check(os.WriteFile(filepath.Join(dir, f.file), []byte(msg), 0o644))
		t := f.want
		t.RequestRef = ptr(f.id)
		tm[f.file] = t
	}
	keys := make([]string, 0, len(tm))
	for k := range tm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out bytes.Buffer
	out.WriteString("{\n")
	for i, k := range keys {
		var e bytes.Buffer
		enc := json.NewEncoder(&e)
		enc.SetEscapeHTML(false)
		enc.SetIndent("  ", "  ")
		check(enc.Encode(tm[k]))
		kb, _ := json.Marshal(k)
		out.WriteString("  " + string(kb) + ": " + strings.TrimRight(e.String(), "\n"))
		if i < len(keys)-1 {
			out.WriteString(",")
		}
		out.WriteString("\n")
	}
	out.WriteString("}\n")
	check(os.WriteFile(truthPath, out.Bytes(), 0o644))
	fmt.Printf("%d fixtures written, %d truth entries\n", len(all), len(tm))
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
