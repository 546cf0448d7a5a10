package tickets

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/schemas"
)

// decode validates and reads a SupportChanged. The schema's rule that from
// and to differ fails as a bare "'not' failed" on the whole object; the
// dead letter says what it means instead.
func decode(data []byte) (events.SupportChanged, error) {
	var ev events.SupportChanged
	err := events.Unmarshal("support-changed", data, &ev)
	var ve *schemas.ValidationError
	if err == nil || !errors.As(err, &ve) {
		return ev, err
	}
	var probe struct{ From, To any }
	if json.Unmarshal(data, &probe) == nil && probe.From != nil && probe.From == probe.To {
		fields := make([]schemas.FieldError, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			if f.Field == "/" && f.Message == "'not' failed" {
				f = schemas.FieldError{Field: "/to", Message: fmt.Sprintf("same support type as from (%v): not a change", probe.To)}
			}
			fields = append(fields, f)
		}
		return ev, &schemas.ValidationError{Schema: ve.Schema, Fields: fields}
	}
	return ev, err
}
