package sdk

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// sample is a configuration with a value of every JSON type. Each value
// holds "31337" or "s3cr3t" so that a test can see it never reaches an
// error message.
func sample() *Config {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	return &Config{Asset: "billing", Environment: "prod", Version: 3, ETag: `"abc"`, Values: map[string]map[string]json.RawMessage{
		"v": {
			"str":       raw(`"s3cr3t"`),
			"escaped":   raw(`"a \"q\" \u00e9 \n"`),
			"int":       raw(`31337`),
			"negative":  raw(`-31337`),
			"exponent":  raw(`3.1337e4`),
			"frac":      raw(`31337.5`),
			"huge":      raw(`1e300`),
			"maxint":    raw(`9223372036854775807`),
			"intstr":    raw(`"31337"`),
			"badintstr": raw(`"31337s3cr3t"`),
			"true":      raw(`true`),
			"false":     raw(`false`),
			"truestr":   raw(`"true"`),
			"falsestr":  raw(`"false"`),
			"yes":       raw(`"yes-s3cr3t"`),
			"dur":       raw(`"1m30s"`),
			"baddur":    raw(`"s3cr3t"`),
			"secs":      raw(`90`),
			"fracsecs":  raw(`1.5`),
			"bigsecs":   raw(`1e12`),
			"null":      raw(`null`),
			"object":    raw(`{"s3cr3t":31337}`),
			"array":     raw(`[31337,"s3cr3t"]`),
		},
	}}
}

// accessorCase is one accessor call and what it must give.
type accessorCase struct {
	key     string
	want    any
	errPart string // a part of the error's text; "" for no error
}

// checkAccessor runs get over cases.
func checkAccessor[T comparable](t *testing.T, name string, get func(c *Config, object, key string) (T, error), cases []accessorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(name+"/"+tc.key, func(t *testing.T) {
			got, err := get(sample(), "v", tc.key)
			if tc.errPart == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got != tc.want.(T) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %v, want an error with %q", got, tc.errPart)
			}
			var keyErr *KeyError
			if !errors.As(err, &keyErr) || keyErr.Object != "v" || keyErr.Key != tc.key {
				t.Errorf("%T %v is no KeyError of v.%s", err, err, tc.key)
			}
			if !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("error %q does not say %q", err, tc.errPart)
			}
			if strings.Contains(err.Error(), "31337") || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q holds the value", err)
			}
			if got := errors.Is(err, ErrKeyNotFound); got != (tc.key == "missing") {
				t.Errorf("errors.Is(ErrKeyNotFound) = %t", got)
			}
		})
	}
}

func TestString(t *testing.T) {
	checkAccessor(t, "String", (*Config).String, []accessorCase{
		{key: "str", want: "s3cr3t"},
		{key: "escaped", want: "a \"q\" é \n"},
		{key: "intstr", want: "31337"},
		{key: "int", errPart: "is a number, not a string"},
		{key: "true", errPart: "is a boolean, not a string"},
		{key: "null", errPart: "is null, not a string"},
		{key: "object", errPart: "is an object, not a string"},
		{key: "array", errPart: "is an array, not a string"},
		{key: "missing", errPart: "v.missing is not in the configuration"},
	})
}

func TestInt(t *testing.T) {
	checkAccessor(t, "Int", (*Config).Int, []accessorCase{
		{key: "int", want: int64(31337)},
		{key: "negative", want: int64(-31337)},
		{key: "exponent", want: int64(31337)},
		{key: "maxint", want: int64(math.MaxInt64)},
		{key: "intstr", want: int64(31337)},
		{key: "frac", errPart: "is not an integer within 64 bits"},
		{key: "huge", errPart: "is not an integer within 64 bits"},
		{key: "badintstr", errPart: "is a string, not an integer"},
		{key: "true", errPart: "is a boolean, not an integer"},
		{key: "object", errPart: "is an object, not an integer"},
		{key: "missing", errPart: "is not in the configuration"},
	})
}

func TestBool(t *testing.T) {
	checkAccessor(t, "Bool", (*Config).Bool, []accessorCase{
		{key: "true", want: true},
		{key: "false", want: false},
		{key: "truestr", want: true},
		{key: "falsestr", want: false},
		{key: "yes", errPart: "is a string, not a boolean"},
		{key: "int", errPart: "is a number, not a boolean"},
		{key: "null", errPart: "is null, not a boolean"},
		{key: "missing", errPart: "is not in the configuration"},
	})
}

func TestDuration(t *testing.T) {
	checkAccessor(t, "Duration", (*Config).Duration, []accessorCase{
		{key: "dur", want: 90 * time.Second},
		{key: "secs", want: 90 * time.Second},
		{key: "fracsecs", want: 1500 * time.Millisecond},
		{key: "baddur", errPart: `is not a duration such as "1m30s"`},
		{key: "bigsecs", errPart: "out of a duration's range"},
		{key: "true", errPart: "is a boolean, not a duration"},
		{key: "missing", errPart: "is not in the configuration"},
	})
}

func TestMissingObjectIsNamed(t *testing.T) {
	_, err := sample().String("nope", "str")
	if !errors.Is(err, ErrKeyNotFound) || !strings.Contains(err.Error(), `no object "nope"`) {
		t.Errorf("missing object: %v", err)
	}
}

func TestRawIsACopy(t *testing.T) {
	c := sample()
	raw, ok := c.Raw("v", "str")
	if !ok || string(raw) != `"s3cr3t"` {
		t.Fatalf("Raw = %s, %t", raw, ok)
	}
	raw[1] = 'X'
	if again, _ := c.Raw("v", "str"); string(again) != `"s3cr3t"` {
		t.Errorf("changing Raw's answer changed the Config: %s", again)
	}
	if _, ok := c.Raw("v", "missing"); ok {
		t.Error("Raw found a missing key")
	}
}

func TestDecode(t *testing.T) {
	c := &Config{Values: map[string]map[string]json.RawMessage{
		"database": {"host": json.RawMessage(`"db1"`), "port": json.RawMessage(`5432`)},
		"features": {"new_checkout": json.RawMessage(`true`)},
	}}
	var into struct {
		Database struct {
			Host string `json:"host"`
			Port int    `json:"port"`
		} `json:"database"`
		Features map[string]bool `json:"features"`
	}
	if err := c.Decode(&into); err != nil {
		t.Fatal(err)
	}
	if into.Database.Host != "db1" || into.Database.Port != 5432 || !into.Features["new_checkout"] {
		t.Errorf("decoded %+v", into)
	}

	cases := []struct {
		name    string
		values  map[string]map[string]json.RawMessage
		target  any
		errPart string
	}{
		{"a number into a string field", map[string]map[string]json.RawMessage{"database": {"port": json.RawMessage(`31337`)}},
			&struct {
				Database struct {
					Port string `json:"port"`
				} `json:"database"`
			}{}, `a JSON number does not fit field "database.port" of type string`},
		{"not a pointer", map[string]map[string]json.RawMessage{}, struct{}{}, "non-pointer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Config{Values: tc.values}).Decode(tc.target)
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf("Decode: %v, want an error with %q", err, tc.errPart)
			}
			if strings.Contains(err.Error(), "31337") {
				t.Errorf("error %q holds the value", err)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name, body string
		ok         bool
	}{
		{"valid", `{"asset":"billing","environment":"prod","version":2,"config":{"o":{"k":1}}}`, true},
		{"an empty config", `{"asset":"billing","environment":"prod","version":1,"config":{}}`, true},
		{"another asset", `{"asset":"other","environment":"prod","version":1,"config":{}}`, false},
		{"another environment", `{"asset":"billing","environment":"stage","version":1,"config":{}}`, false},
		{"not JSON", `<html>`, false},
		{"config not an object of objects", `{"asset":"billing","environment":"prod","version":1,"config":{"o":1}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(tc.body), `"e"`, "billing", "prod")
			if (err == nil) != tc.ok {
				t.Fatalf("parseConfig: %+v, %v", cfg, err)
			}
			if tc.ok && (cfg.Values == nil || cfg.ETag != `"e"`) {
				t.Errorf("parsed %+v", cfg)
			}
		})
	}
}
