package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

func TestCompileRefuses(t *testing.T) {
	cases := []struct{ name, doc string }{
		{"NotJSON", `{`},
		{"NotASchema", `[1]`},
		{"BadKeyword", `{"type":"nonsense"}`},
		{"OtherDraft", `{"$schema":"http://json-schema.org/draft-07/schema#"}`},
		{"RemoteRef", `{"$ref":"https://example.com/schema.json"}`},
		{"FileRef", `{"properties":{"a":{"$ref":"file:///etc/passwd"}}}`},
		{"RelativeRef", `{"$ref":"other.json"}`},
		{"BadPattern", `{"pattern":"("}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile("schema", json.RawMessage(c.doc))
			if !domain.IsKind(err, domain.KindInvalid) {
				t.Fatalf("Compile(%s) = %v, want VALIDATION_ERROR", c.doc, err)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, doc := range []string{`true`, `{}`, `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}`,
		`{"$defs":{"port":{"type":"integer"}},"properties":{"db":{"properties":{"port":{"$ref":"#/$defs/port"}}}}}`} {
		if _, err := Compile("schema", json.RawMessage(doc)); err != nil {
			t.Errorf("Compile(%s) = %v", doc, err)
		}
	}
}

func TestViolationsNameThePathNeverTheValue(t *testing.T) {
	s, err := Compile("schema", json.RawMessage(`{
		"type":"object","required":["db","cache"],
		"properties":{"db":{"type":"object","required":["host"],"properties":{
			"long":{"type":"string","maxLength":4},
			"pattern":{"type":"string","pattern":"^[a-z]+$"},
			"enum":{"type":"string","enum":["abcd","efgh"]},
			"port":{"type":"integer","maximum":65535},
			"a/b":{"const":1}
		}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	secret := "S3cr3t-Value-123"
	got, err := s.Validate(map[string]map[string]json.RawMessage{"db": {
		"long":    json.RawMessage(`"` + secret + `"`),
		"pattern": json.RawMessage(`"` + secret + `"`),
		"enum":    json.RawMessage(`"` + secret + `"`),
		"port":    json.RawMessage(`70000`),
		"a/b":     json.RawMessage(`2`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Violation{
		{"", "must have the properties cache"},
		{"/db", "must have the properties host"},
		{"/db/a~1b", "must be the value the schema requires"},
		{"/db/enum", "must be one of the values the schema allows"},
		{"/db/long", "must be at most 4 characters long"},
		{"/db/pattern", "must match the pattern ^[a-z]+$"},
		{"/db/port", "must be at most 65535"},
	}
	for _, v := range got {
		if strings.Contains(v.Message, secret) || strings.Contains(v.Message, "S3cr3t") || strings.Contains(v.Message, "70000") {
			t.Errorf("message %q holds the value", v.Message)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("violations = %+v, want %+v", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("violation %+v missing from %+v", w, got)
		}
	}
}

func TestValid(t *testing.T) {
	s, err := Compile("schema", json.RawMessage(`{"properties":{"db":{"properties":{"port":{"type":"integer"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Validate(map[string]map[string]json.RawMessage{"db": {"port": json.RawMessage(`5432`)}})
	if err != nil || len(got) != 0 {
		t.Fatalf("Validate = %v, %v, want none", got, err)
	}
}

func TestNormalize(t *testing.T) {
	got, err := Normalize(json.RawMessage(`{ "b": 1.50, "a": {"d": true, "c": null} }`))
	if err != nil || string(got) != `{"a":{"c":null,"d":true},"b":1.50}` {
		t.Fatalf("Normalize = %s, %v", got, err)
	}
}
