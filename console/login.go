package console

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	ss, _ := s.fromCookie(r)
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Log in", Session: ss, Next: safeNext(r.URL.Query().Get("next"))})
}

// loginSubmit checks the token typed in and sets the session cookie. The
// form is protected from other sites by http.CrossOriginProtection (the
// visitor has no session, hence no CSRF token, yet).
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	next := safeNext(r.PostFormValue("next"))
	if _, err := s.login(w, r, r.PostFormValue("token"), operatorName(r.PostFormValue("operator"))); err != nil {
		s.render(w, r, http.StatusUnauthorized, "login", pageData{Title: "Log in", Next: next, Error: err.Error()})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on the console.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/ui/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(u.Path, "/ui/login") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return u.RequestURI()
}

// operatorName is who the visitor says they are, printable and short.
func operatorName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80])
	}
	return s
}
