package reply

import (
	"reflect"
	"testing"
)

func TestSupportTypes(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  []string
		other bool
	}{
		{"Business", []string{Business}, false},
		{"Business Support", []string{Business}, false},
		{"Biz", []string{Business}, false},
		{"Buisness", []string{Business}, false},
		{"bussiness support", []string{Business}, false},
		{"Affaires", []string{Business}, false},
		{"Developer", []string{Developer}, false},
		{"Developer Support", []string{Developer}, false},
		{"dev", []string{Developer}, false},
		{"Developper", []string{Developer}, false},
		{"Développeur", []string{Developer}, false},
		{"De\u0301veloppeur", []string{Developer}, false},
		{"Basic", []string{Basic}, false},
		{"Basic/No Support", []string{Basic}, false},
		{"No Support", []string{Basic}, false},
		{"None", []string{Basic}, false},
		{"no", []string{Basic}, false},
		{"De base", []string{Basic}, false},
		{"Aucun", []string{Basic}, false},
		{"Enterprise", []string{Enterprise}, false},
		{"Entreprise", []string{Enterprise}, false},
		{"Enterprise On-Ramp", []string{Enterprise}, false},
		{"Enterprize", []string{Enterprise}, false},
		{"Developer or Business", []string{Developer, Business}, true},
		{"Premium Gold", nil, true},
		{"", nil, false},
		{"basis", []string{Basic}, false}, // one edit from "basic": a near miss, as for "Buisness"
		{"music", nil, true},
	} {
		got, other := supportTypes(c.in)
		if !reflect.DeepEqual(got, c.want) || other != c.other {
			t.Errorf("supportTypes(%q) = %q, %v; want %q, %v", c.in, got, other, c.want, c.other)
		}
	}
}

func TestProseSupport(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"call it Z, Developer support", []string{Developer}},
		{"we'd like the business plan", []string{Business}},
		{"support plan should be dev", []string{Developer}},
		{"soutien de base svp", []string{Basic}},
		{"le soutien Développeur", []string{Developer}},
		{"no support please", []string{Basic}},
		{"our business is growing", nil},
		{"the developer team will log in", nil},
		{"we don't need Enterprise support", nil},
		{"Business support is too pricey, Developer support then", []string{Business, Developer}},
		{"We don't have the support level yet", nil},
	} {
		if got := proseSupport(words(fold(c.in))); !reflect.DeepEqual(got, c.want) {
			t.Errorf("proseSupport(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOSADistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"buisness", "business", 1}, {"business", "business", 0}, {"busines", "business", 1},
		{"developper", "developer", 1}, {"xyz", "business", 3},
	} {
		if got := osaDistance(c.a, c.b, 2); min(got, 3) != c.want {
			t.Errorf("osaDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
