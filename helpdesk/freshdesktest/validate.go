package freshdesktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseTicket validates a create body the way Freshdesk does, collecting every
// field error; the messages follow Freshdesk's wording.
func parseTicket(body []byte) (StoredTicket, []fieldError, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return StoredTicket{}, nil, err
	}
	if dec.More() || raw == nil {
		return StoredTicket{}, nil, errors.New("not one JSON object")
	}
	v := &validator{raw: raw}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !knownCreateField(k) {
			v.fail(k, "Unexpected/invalid field in request", "invalid_field")
		}
	}
	t := StoredTicket{
		Subject:     v.str("subject", true, 255),
		Description: v.str("description", true, 0),
		Priority:    v.choice("priority", 1, 1, 2, 3, 4),
		Status:      v.choice("status", 2, 2, 3, 4, 5),
		Tags:        v.tags(),
	}
	if _, ok := raw["email"]; ok {
		t.Email = v.str("email", false, 255)
		if a, err := mail.ParseAddress(t.Email); err != nil || a.Address != t.Email {
			v.fail("email", "It should be a valid email address", "invalid_value")
		}
	} else if raw["requester_id"] == nil && raw["phone"] == nil {
		v.fail("requester_id", "Please fill at least 1 of email, phone, requester_id fields", "missing_field")
	}
	return t, v.errs, nil
}

func knownCreateField(name string) bool {
	switch name {
	case "name", "requester_id", "email", "facebook_id", "phone", "twitter_id", "unique_external_id",
		"subject", "type", "status", "priority", "description", "responder_id", "attachments",
		"cc_emails", "custom_fields", "due_by", "email_config_id", "fr_due_by", "group_id",
		"parent_id", "product_id", "source", "tags", "company_id":
		return true
	}
	return false
}

type validator struct {
	raw  map[string]any
	errs []fieldError
}

func (v *validator) fail(field, message, code string) {
	v.errs = append(v.errs, fieldError{Field: field, Message: message, Code: code})
}

func (v *validator) str(name string, required bool, maxLen int) string {
	val, ok := v.raw[name]
	if !ok {
		if required {
			v.fail(name, "It should be a/an String", "missing_field")
		}
		return ""
	}
	s, ok := val.(string)
	switch {
	case !ok:
		v.fail(name, "Value set is of type "+jsonType(val)+".It should be a/an String", "datatype_mismatch")
	case required && strings.TrimSpace(s) == "":
		v.fail(name, "It should not be blank", "invalid_value")
	case maxLen > 0 && utf8.RuneCountInString(s) > maxLen:
		v.fail(name, "Has "+strconv.Itoa(utf8.RuneCountInString(s))+" characters, it can have maximum of "+
			strconv.Itoa(maxLen)+" characters", "invalid_value")
	}
	return s
}

func (v *validator) choice(name string, def int, allowed ...int) int {
	val, ok := v.raw[name]
	if !ok {
		return def
	}
	n, isNum := val.(json.Number)
	i, err := n.Int64()
	if !isNum || err != nil {
		v.fail(name, "Value set is of type "+jsonType(val)+".It should be a/an Integer", "datatype_mismatch")
		return 0
	}
	if !slices.Contains(allowed, int(i)) || int64(int(i)) != i {
		list := make([]string, len(allowed))
		for j, a := range allowed {
			list[j] = strconv.Itoa(a)
		}
		v.fail(name, "It should be one of these values: '"+strings.Join(list, ",")+"'", "invalid_value")
		return 0
	}
	return int(i)
}

func (v *validator) tags() []string {
	val, ok := v.raw["tags"]
	if !ok {
		return nil
	}
	list, ok := val.([]any)
	if !ok {
		v.fail("tags", "Value set is of type "+jsonType(val)+".It should be a/an Array", "datatype_mismatch")
		return nil
	}
	tags := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		switch {
		case !ok:
			v.fail("tags", "It should contain elements of type String only", "datatype_mismatch")
			return nil
		case utf8.RuneCountInString(strings.TrimSpace(s)) > 32:
			v.fail("tags", "It should only contain elements that have maximum of 32 characters", "invalid_value")
			return nil
		case strings.Contains(s, ","):
			v.fail("tags", "Special characters ',' are not allowed", "invalid_value")
			return nil
		}
		tags = append(tags, strings.TrimSpace(s))
	}
	return tags
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "String"
	case json.Number:
		return "Number"
	case bool:
		return "Boolean"
	case []any:
		return "Array"
	case map[string]any:
		return "key/value pair"
	default:
		return "Null"
	}
}
