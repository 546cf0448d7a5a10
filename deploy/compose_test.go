package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/acctflow/acctflow/deploy"
)

// loadCompose loads compose.yaml with compose-go, the loader Docker Compose
// itself uses: the schema, interpolation, anchors and merges, env files.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../compose.yaml"},
		cli.WithWorkingDirectory(".."), cli.WithName("acctflow"),
		// The secrets come from .env, as a user's copy of .env.example.
		cli.WithEnvFiles("../.env.example"), cli.WithDotEnv,
		cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

// TestCompose: compose.yaml is valid; every file it references exists;
// setup runs as admin before anything else; every declared handler runs in
// a service of its own, and every acctflow service connects as its own NATS
// user of deploy/nats.conf, with a password and the tokens it needs.
func TestCompose(t *testing.T) {
	p := loadCompose(t)
	exists := func(service, what, path string) {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("service %s: %s %s: %v", service, what, path, err)
		}
	}
	users := map[string]string{} // NATS user → service
	handlers := map[string]string{}
	for name, s := range p.Services {
		if s.Build != nil {
			exists(name, "build context", s.Build.Context)
			if s.Build.DockerfileInline == "" {
				exists(name, "Dockerfile", filepath.Join(s.Build.Context, s.Build.Dockerfile))
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				exists(name, "bind mount", v.Source)
			}
		}
		for _, f := range s.EnvFiles {
			if f.Required {
				exists(name, "env_file", f.Path)
			}
		}
		for _, sec := range s.Secrets {
			if def, ok := p.Secrets[sec.Source]; !ok {
				t.Errorf("service %s: secret %s is not defined", name, sec.Source)
			} else if def.File != "" {
				exists(name, "secret file", def.File)
			}
		}

		if s.Build == nil && strings.HasPrefix(s.Image, "nats") {
			// deploy/nats.conf takes every user's password from the
			// server's environment.
			for _, u := range deploy.Users() {
				if v := s.Environment[deploy.PasswordVar(u)]; v == nil || *v != deploy.PlaceholderPassword(u) {
					t.Errorf("NATS service %s: %s is not passed from .env", name, deploy.PasswordVar(u))
				}
			}
		}
		if len(s.Command) == 0 || s.Build == nil || name == "mail" {
			continue // not an acctflow process that reaches NATS
		}
		env := func(k string) string {
			if v := s.Environment[k]; v != nil {
				return *v
			}
			return ""
		}
		has := func(k string) bool { return env(k) != "" || env(k+"_FILE") != "" }
		user := env("ACCTFLOW_NATS_USER")
		if other, dup := users[user]; dup {
			t.Errorf("services %s and %s share NATS user %q", name, other, user)
		}
		users[user] = name
		if !slices.Contains(deploy.Users(), user) {
			t.Errorf("service %s: NATS user %q is not in deploy/nats.conf", name, user)
		}
		if !has("ACCTFLOW_NATS_PASSWORD") {
			t.Errorf("service %s: no ACCTFLOW_NATS_PASSWORD (or _FILE)", name)
		}
		if pw := env("ACCTFLOW_NATS_PASSWORD"); strings.HasPrefix(pw, "change-me") && pw != deploy.PlaceholderPassword(user) {
			t.Errorf("service %s: the placeholder password of %s in deploy/nats.conf is %q, not %q", name, user, deploy.PlaceholderPassword(user), pw)
		}
		switch s.Command[0] {
		case "setup":
			if user != deploy.Admin {
				t.Errorf("service %s runs setup as %q, want %s", name, user, deploy.Admin)
			}
			continue
		case "serve":
		default:
			t.Errorf("service %s: unexpected command %v", name, s.Command)
			continue
		}
		if dep, ok := s.DependsOn["setup"]; !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("service %s does not wait for setup to complete", name)
		}
		if !has("ACCTFLOW_REPLY_KEY") {
			t.Errorf("service %s: no reply token key ACCTFLOW_REPLY_KEY (or _FILE)", name)
		}
		if env("ACCTFLOW_HTTP_ADDR") != "" && !has("ACCTFLOW_API_TOKENS") {
			t.Errorf("service %s serves HTTP without ACCTFLOW_API_TOKENS (or _FILE)", name)
		}
		i := slices.Index(s.Command, "--handlers")
		if i < 0 || i+1 >= len(s.Command) {
			t.Errorf("service %s: serve without --handlers", name)
			continue
		}
		h := s.Command[i+1]
		want := h
		if h == "none" {
			want = deploy.API.Name
		} else if _, ok := deploy.Handler(h); !ok {
			t.Errorf("service %s runs %q, not one declared handler", name, h)
		}
		if user != want {
			t.Errorf("service %s runs %s as NATS user %q, want %q", name, h, user, want)
		}
		handlers[h] = name
	}
	for _, n := range deploy.Names() {
		if handlers[n] == "" {
			t.Errorf("handler %s has no service in compose.yaml", n)
		}
	}
	if users[deploy.Admin] == "" {
		t.Error("no service runs acctflow setup as admin")
	}
}
