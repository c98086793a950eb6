package httpapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

func TestCheckStrictJSONFieldNames(t *testing.T) {
	type inner struct {
		Port int `json:"port"`
	}
	type request struct {
		inner
		Name     string
		Ignored  string `json:"-"`
		Limits   *inner `json:"limits,omitempty"`
		Tags     []inner
		internal string
	}
	cases := []struct {
		body  string
		field string // "" when the body is accepted
	}{
		{`{"port":1,"Name":"n","limits":{"port":2},"Tags":[{"port":3}]}`, ""},
		{`{"Port":1}`, "Port"},
		{`{"name":"n"}`, "name"},
		{`{"Ignored":"x"}`, "Ignored"},
		{`{"-":"x"}`, "-"},
		{`{"internal":"x"}`, "internal"},
		{`{"limits":{"Port":2}}`, "limits.Port"},
		{`{"Tags":[{"port":3},{"PORT":4}]}`, "Tags.PORT"},
		{`{"limits":{"port":1,"port":2}}`, "limits.port"},
	}
	_ = request{}.internal // unexported: never a JSON member
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			err := checkStrictJSON([]byte(tc.body), reflect.TypeFor[*request]())
			if tc.field == "" {
				if err != nil {
					t.Errorf("checkStrictJSON = %v, want nil", err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalidJSON || de.Details["field"] != tc.field {
				t.Errorf("checkStrictJSON = %v, want INVALID_JSON naming %s", err, tc.field)
			}
		})
	}
}

// TestCheckStrictJSONMalformed feeds the scanner texts encoding/json would
// have refused: each is INVALID_JSON, never a panic or a pass.
func TestCheckStrictJSONMalformed(t *testing.T) {
	type request struct {
		Name string `json:"name"`
	}
	for _, body := range []string{``, `{`, `{"name"`, `{"name":`, `{"name":"x",}`, `{"name" "x"}`, `{"name":"x"`, `{name:1}`, `["a"`, `"abc`, `{"na\`} {
		t.Run(body, func(t *testing.T) {
			if err := checkStrictJSON([]byte(body), reflect.TypeFor[*request]()); !domain.IsKind(err, domain.KindInvalidJSON) {
				t.Errorf("checkStrictJSON = %v, want INVALID_JSON", err)
			}
		})
	}
}

func TestCheckStrictJSONSurrogates(t *testing.T) {
	type request struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"name":"\ud83d\ude00"}`, true},
		{`{"name":"\ufffd and \uFFFD and ` + "\uFFFD" + `"}`, true},
		{`{"name":"\ud800"}`, false},
		{`{"name":"a\udc00b"}`, false},
		{`{"value":{"deep":["\ud83dx"]}}`, false},
		{`{"name":"\ufffd\ud800"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			err := checkStrictJSON([]byte(tt.body), reflect.TypeFor[*request]())
			if tt.ok && err != nil || !tt.ok && !domain.IsKind(err, domain.KindInvalidJSON) {
				t.Errorf("checkStrictJSON = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
