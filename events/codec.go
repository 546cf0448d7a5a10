package events

import (
	"encoding/json"
	"fmt"

	"github.com/acctflow/acctflow/schemas"
)

// Marshal encodes an event and refuses it unless its schema accepts it, so
// nothing invalid is ever published.
func Marshal(e Event) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", e.Schema(), err)
	}
	if err := schemas.Validate(e.Schema(), data); err != nil {
		return nil, err
	}
	return data, nil
}

// Unmarshal validates a received payload against the named schema, then
// decodes it into v.
func Unmarshal(schema string, data []byte, v any) error {
	if err := schemas.Validate(schema, data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding %s: %w", schema, err)
	}
	return nil
}
