package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		in    string
		refs  []string
		whole bool
		bad   bool
	}{
		{in: "plain", refs: nil},
		{in: "${db.host}", refs: []string{"/db.host"}, whole: true},
		{in: "${other/db.host}", refs: []string{"other/db.host"}, whole: true},
		{in: "a ${db.host} b ${x/o.k}", refs: []string{"/db.host", "x/o.k"}},
		{in: "$${db.host}", refs: nil},
		{in: "$$${db.host}", refs: nil},
		{in: "cost $5 and $$ and $", refs: nil},
		{in: "${db.host", bad: true},
		{in: "${dbhost}", bad: true},
		{in: "${Bad/db.host}", bad: true},
		{in: "${db.}", bad: true},
		{in: "${/db.host}", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			tpl, err := parseTemplate(tt.in)
			if tt.bad {
				if !domain.IsKind(err, domain.KindInvalid) {
					t.Fatalf("parseTemplate(%q) = %v, want VALIDATION_ERROR", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range tpl.refs() {
				got = append(got, r.Asset+"/"+r.Object+"."+r.Key)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.refs) || tpl.whole() != tt.whole {
				t.Errorf("refs %v whole %v, want %v %v", got, tpl.whole(), tt.refs, tt.whole)
			}
		})
	}
}

// resolveIn resolves key k of object "o" of asset "app" in a world of
// assets given as {slug: {key: JSON text}} (object "o"; a key starting with
// "secret" is a secret whose plaintext is its text).
func resolveIn(t *testing.T, assets map[string]map[string]string, open bool, key string) (resolvedValue, *refError) {
	t.Helper()
	w := &refWorld{env: "prod", self: "app", assets: map[string]*worldAsset{}, absent: map[string]bool{}}
	for slug, keys := range assets {
		snap := domain.Snapshot{"o": {}}
		for k, v := range keys {
			if len(k) > 6 && k[:6] == "secret" {
				snap["o"][k] = domain.StoredValue{Secret: true, Sealed: []byte(v)}
			} else {
				snap["o"][k] = domain.StoredValue{Value: json.RawMessage(v)}
			}
		}
		w.assets[slug] = &worldAsset{id: domain.AssetID(slug), snap: snap}
	}
	var opener secretOpener
	if open {
		opener = func(_ context.Context, _ *worldAsset, _, _ string, v domain.StoredValue) ([]byte, error) {
			return append([]byte(nil), v.Sealed...), nil
		}
	}
	got, e, err := newResolver(w, opener).resolve(context.Background(), valueRef{asset: "app", object: "o", key: key})
	if err != nil {
		t.Fatal(err)
	}
	return got, e
}

func TestResolveValues(t *testing.T) {
	assets := map[string]map[string]string{
		"app": {
			"num": `"${o.port}"`, "port": `5432`, "text": `"p=${o.port};h=${lib/o.host};o=${o.obj}"`, "obj": `{"a":[1]}`,
			"esc": `"$${o.port}"`, "pw": `"${lib/o.secret_pw}"`, "dsn": `"u:${o.pw}"`,
		},
		"lib": {"host": `"h"`, "secret_pw": `"s3"`},
	}
	for key, want := range map[string]string{
		"num": `5432`, "text": `"p=5432;h=h;o={\"a\":[1]}"`, "esc": `"${o.port}"`, "pw": `"s3"`, "dsn": `"u:s3"`,
	} {
		got, e := resolveIn(t, assets, true, key)
		if e != nil || string(got.value) != want {
			t.Errorf("%s = %s (%+v), want %s", key, got.value, e, want)
		}
	}
	for key, secret := range map[string]bool{"num": false, "pw": true, "dsn": true} {
		got, e := resolveIn(t, assets, false, key)
		if e != nil || got.secret != secret || (secret && got.value != nil) {
			t.Errorf("without secrets, %s = %+v (%+v), want secret %v and no value when secret", key, got, e, secret)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	chain := func(n int) map[string]string {
		keys := map[string]string{}
		for i := 1; i < n; i++ {
			keys[fmt.Sprintf("c%d", i)] = fmt.Sprintf(`"${o.c%d}"`, i+1)
		}
		keys[fmt.Sprintf("c%d", n)] = `"end"`
		return keys
	}
	tests := []struct {
		name   string
		app    map[string]string
		key    string
		reason string
	}{
		{"missing key", map[string]string{"a": `"${o.nope}"`}, "a", reasonMissing},
		{"missing asset", map[string]string{"a": `"${gone/o.x}"`}, "a", reasonMissing},
		{"self", map[string]string{"a": `"${o.a}"`}, "a", reasonCycle},
		{"cycle", map[string]string{"a": `"${o.b}"`, "b": `"x${o.c}"`, "c": `"${o.a}"`}, "a", reasonCycle},
		{"too deep", chain(12), "c1", reasonTooDeep},
		{"ten is fine", chain(11), "c1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := resolveIn(t, map[string]map[string]string{"app": tt.app}, true, tt.key)
			switch {
			case tt.reason == "" && e != nil:
				t.Fatalf("error %+v, want none", e)
			case tt.reason != "" && (e == nil || e.reason != tt.reason):
				t.Fatalf("error %+v, want %s", e, tt.reason)
			}
		})
	}
}
