package secrets_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/acctflow/acctflow/secrets"
)

var secretName = regexp.MustCompile(`PASSWORD|_KEY|TOKENS|SECRET`)

// compose.yaml holds no secret: each is a ${VAR} filled from .env, every
// required one is listed in .env.example, and every value there is a
// placeholder that serve refuses.
func TestComposeTakesEverySecretFromDotEnv(t *testing.T) {
	data, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	example := readEnvExample(t)
	ref := regexp.MustCompile(`^\$\{([A-Z0-9_]+)(:[?-][^}]*)?\}$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && strings.HasSuffix(path, "environment") && secretName.MatchString(k) {
					m := ref.FindStringSubmatch(s)
					if m == nil {
						t.Errorf("%s.%s = %q: a secret in compose.yaml; take it from .env as ${%s}", path, k, s, k)
						continue
					}
					if _, listed := example[m[1]]; !listed {
						t.Errorf("%s.%s takes ${%s}, which .env.example does not list", path, k, m[1])
					}
				}
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path, e)
			}
		}
	}
	walk("", doc)
	for name, v := range example {
		if v != "" && !secrets.IsPlaceholder(v) {
			t.Errorf(".env.example: %s=%q is not a placeholder serve refuses", name, v)
		}
	}
	if len(example) < 5 {
		t.Errorf(".env.example lists %d secrets", len(example))
	}
}

func readEnvExample(t *testing.T) map[string]string {
	f, err := os.Open("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: %q", line)
		}
		vars[k] = v
	}
	return vars
}
