// Package schemas holds the JSON Schema (draft 2020-12) of every event payload
// and the AsyncAPI document that describes the channels carrying them.
package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed *.json asyncapi.yaml
var files embed.FS

const base = "https://acctflow.example/schemas/"

// FieldError is one reason a payload does not match its schema.
type FieldError struct {
	Field   string `json:"field"` // JSON pointer into the payload, "/" for the whole object
	Message string `json:"message"`
}

// ValidationError lists every field that failed, so a caller can fix them all
// at once.
type ValidationError struct {
	Schema string       `json:"schema"`
	Fields []FieldError `json:"errors"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("%s: %s", e.Schema, strings.Join(parts, "; "))
}

// compiled is immutable once built, so sharing it is safe.
var compiled = sync.OnceValues(compileAll)

func compileAll() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	names, err := Names()
	if err != nil {
		return nil, err
	}
	for _, n := range append(names, "common") {
		raw, err := files.ReadFile(n + ".json")
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("parsing schema %s: %w", n, err)
		}
		if err := c.AddResource(base+n+".json", doc); err != nil {
			return nil, fmt.Errorf("adding schema %s: %w", n, err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(names))
	for _, n := range names {
		s, err := c.Compile(base + n + ".json")
		if err != nil {
			return nil, fmt.Errorf("compiling schema %s: %w", n, err)
		}
		out[n] = s
	}
	return out, nil
}

// Names lists the event schemas ("account-requested", ...), without common.json.
func Names() ([]string, error) {
	entries, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := strings.TrimSuffix(e, ".json")
		if n != "common" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// File returns an embedded schema or the AsyncAPI document by file name.
func File(name string) ([]byte, error) { return files.ReadFile(name) }

// Validate checks a JSON payload against the named schema. Malformed JSON and
// schema violations both come back as *ValidationError.
func Validate(name string, payload []byte) error {
	all, err := compiled()
	if err != nil {
		return err
	}
	s, ok := all[name]
	if !ok {
		return fmt.Errorf("no schema named %q", name)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return &ValidationError{Schema: name, Fields: []FieldError{{Field: "/", Message: "not valid JSON: " + err.Error()}}}
	}
	err = s.Validate(doc)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &ValidationError{Schema: name, Fields: leaves(ve)}
	}
	return err
}

func leaves(e *jsonschema.ValidationError) []FieldError {
	if len(e.Causes) == 0 {
		return []FieldError{{Field: "/" + strings.Join(e.InstanceLocation, "/"), Message: describe(e.ErrorKind)}}
	}
	var out []FieldError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func describe(k jsonschema.ErrorKind) string {
	// Long enums (countries, currencies) would print hundreds of codes.
	if e, ok := k.(*kind.Enum); ok && len(e.Want) > 8 {
		return fmt.Sprintf("%v is not an allowed value (see the schema's list)", e.Got)
	}
	return k.LocalizedString(message.NewPrinter(language.English))
}
