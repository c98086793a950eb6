package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is one resolved configuration. The SDK never changes a Config
// after handing it out: each Get and each call of a Watch function gets its
// own.
type Config struct {
	Asset, Environment string
	Version            int
	// ETag is the configuration's ETag as the server sent it, with quotes.
	ETag string
	// Values is the "config" object: {object: {key: value}}.
	Values map[string]map[string]json.RawMessage
	// FromFallback is true when the configuration was read from the
	// fallback file because the server could not be reached.
	FromFallback bool
}

// resolvedBody is the answer of the values route and the data of a watch
// stream's config event.
type resolvedBody struct {
	Asset       string                                `json:"asset"`
	Environment string                                `json:"environment"`
	Version     int                                   `json:"version"`
	Config      map[string]map[string]json.RawMessage `json:"config"`
}

// parseConfig reads a resolved configuration of asset in env from data.
func parseConfig(data []byte, etag, asset, env string) (*Config, error) {
	var body resolvedBody
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, &protocolError{"the resolved configuration is not valid JSON"}
	}
	if body.Asset != asset || body.Environment != env {
		return nil, &protocolError{"the configuration read is not the one asked for"}
	}
	if body.Config == nil {
		body.Config = map[string]map[string]json.RawMessage{}
	}
	return &Config{Asset: body.Asset, Environment: body.Environment, Version: body.Version, ETag: etag, Values: body.Config}, nil
}

// clone returns a deep copy of c, so that what a caller does to its copy
// never reaches the SDK's.
func (c *Config) clone() *Config {
	out := *c
	out.Values = make(map[string]map[string]json.RawMessage, len(c.Values))
	for object, keys := range c.Values {
		copied := make(map[string]json.RawMessage, len(keys))
		for k, v := range keys {
			copied[k] = slices.Clone(v)
		}
		out.Values[object] = copied
	}
	return &out
}

// Raw returns the JSON text of object.key (a copy), and whether it exists.
func (c *Config) Raw(object, key string) (json.RawMessage, bool) {
	v, ok := c.Values[object][key]
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

// String returns object.key, which must be a JSON string, as is.
func (c *Config) String(object, key string) (string, error) {
	v, err := c.lookup(object, key)
	if err != nil {
		return "", err
	}
	if kindOf(v) != "a string" {
		return "", c.wrongType(object, key, v, "a string")
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", &KeyError{Object: object, Key: key, Reason: "is not valid JSON"}
	}
	return s, nil
}

// Int returns object.key as a 64-bit integer: a JSON number without a
// fractional part (5432, 5.432e3), or a JSON string holding a base-10
// integer ("5432").
func (c *Config) Int(object, key string) (int64, error) {
	v, err := c.lookup(object, key)
	if err != nil {
		return 0, err
	}
	text, ok := numberText(v)
	if !ok {
		return 0, c.wrongType(object, key, v, "an integer")
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	// 2^63 is the first float64 past MaxInt64.
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, &KeyError{Object: object, Key: key, Reason: "is not an integer within 64 bits"}
	}
	return int64(f), nil
}

// Bool returns object.key as a boolean: JSON true or false, or the strings
// "true" and "false".
func (c *Config) Bool(object, key string) (bool, error) {
	v, err := c.lookup(object, key)
	if err != nil {
		return false, err
	}
	switch string(bytes.TrimSpace(v)) {
	case "true", `"true"`:
		return true, nil
	case "false", `"false"`:
		return false, nil
	}
	return false, c.wrongType(object, key, v, "a boolean")
}

// Duration returns object.key as a duration: a string that
// time.ParseDuration reads ("1m30s"), or a number of seconds (90, 1.5).
func (c *Config) Duration(object, key string) (time.Duration, error) {
	v, err := c.lookup(object, key)
	if err != nil {
		return 0, err
	}
	switch kindOf(v) {
	case "a string":
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, &KeyError{Object: object, Key: key, Reason: "is not valid JSON"}
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			// time's error quotes the text, which may be a secret.
			return 0, &KeyError{Object: object, Key: key, Reason: "is not a duration such as \"1m30s\""}
		}
		return d, nil
	case "a number":
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		seconds := f * float64(time.Second)
		if err != nil || math.IsNaN(seconds) || seconds < math.MinInt64 || seconds >= math.MaxInt64 {
			return 0, &KeyError{Object: object, Key: key, Reason: "is a number of seconds out of a duration's range"}
		}
		return time.Duration(seconds), nil
	}
	return 0, c.wrongType(object, key, v, "a duration")
}

// Decode decodes the whole configuration ({object: {key: value}}) into v,
// a pointer to a struct or a map, as encoding/json does.
func (c *Config) Decode(v any) error {
	data, err := json.Marshal(c.Values)
	if err != nil {
		return &protocolError{"the configuration does not encode as JSON"}
	}
	if err := json.Unmarshal(data, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			// The field and the types only: encoding/json's own text quotes
			// numbers, which may be secrets.
			kind, _, _ := strings.Cut(typeErr.Value, " ")
			return errors.New("configmat: decode: a JSON " + kind + " does not fit field " + strconv.Quote(typeErr.Field) + " of type " + typeErr.Type.String())
		}
		var invalid *json.InvalidUnmarshalError
		if errors.As(err, &invalid) {
			return errors.New("configmat: decode: " + invalid.Error())
		}
		return errors.New("configmat: decode: the configuration does not fit the target")
	}
	return nil
}

// lookup returns object.key's JSON text or a KeyError for a missing one.
func (c *Config) lookup(object, key string) (json.RawMessage, error) {
	v, ok := c.Values[object][key]
	if !ok {
		reason := "is not in the configuration"
		if _, objectFound := c.Values[object]; !objectFound {
			reason = "is not in the configuration (no object " + strconv.Quote(object) + ")"
		}
		return nil, &KeyError{Object: object, Key: key, Reason: reason, Err: ErrKeyNotFound}
	}
	return v, nil
}

// wrongType says that object.key is of another JSON type than want.
func (c *Config) wrongType(object, key string, v json.RawMessage, want string) error {
	return &KeyError{Object: object, Key: key, Reason: "is " + kindOf(v) + ", not " + want}
}

// numberText returns the number text of a JSON number, or of a JSON string
// that holds one, and whether v is either.
func numberText(v json.RawMessage) (string, bool) {
	switch kindOf(v) {
	case "a number":
		return string(bytes.TrimSpace(v)), true
	case "a string":
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return "", false
		}
		return s, true
	}
	return "", false
}

// kindOf names the JSON type of v ("a string", "a number", ...), from its
// first byte.
func kindOf(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
