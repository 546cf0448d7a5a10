package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMasksEmailLocalParts(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("mail for jane.doe@northwind.example sent", "to", "Dana <dana.whitfield@fabrikam.example>",
		"err", errors.New("550 unknown user bob@x.example"))
	out := buf.String()
	for _, leak := range []string{"jane.doe", "dana.whitfield", "bob@"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q: %s", leak, out)
		}
	}
	for _, keep := range []string{"j***@northwind.example", "d***@fabrikam.example", "b***@x.example"} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lacks %q: %s", keep, out)
		}
	}
	if _, err := New(&buf, "xml", slog.LevelInfo); err == nil {
		t.Error("xml format accepted")
	}
}
