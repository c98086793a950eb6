package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

func TestSnapshotRoundTripsExactly(t *testing.T) {
	cases := map[string]domain.Snapshot{
		"Empty": {},
		"Values": {
			"app": {
				"object":  {Value: json.RawMessage(`{"b": 1,  "a":[1.50, 1e2]}`)},
				"null":    {Value: json.RawMessage(`null`)},
				"html":    {Value: json.RawMessage(`"<&>"`)},
				"escapes": {Value: json.RawMessage(`["a\"b\\c/d\n\t\u0000\u001f", "\u2028\u00e9\ud83d\ude00", "😀é", {"k\"": "\\"}]`)},
			},
			"secrets": {"password": {Secret: true, Sealed: []byte{0, 1, 0xfe, 0xff}}},
		},
	}
	for name, snapshot := range cases {
		t.Run(name, func(t *testing.T) {
			encoded, err := EncodeSnapshot(snapshot)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := DecodeSnapshot([]byte(encoded))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decoded, snapshot) {
				t.Fatalf("round trip = %#v, want %#v", decoded, snapshot)
			}
		})
	}
	if _, err := DecodeSnapshot([]byte(`[1]`)); err == nil {
		t.Error("decoding a JSON array as a snapshot succeeded")
	}
}

func TestTimesRoundTripInBothDatabasesForms(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	want := at.Truncate(time.Microsecond).UTC()
	text := stamp(at)
	if text != "2026-12-01T11:30:45.123456Z" {
		t.Fatalf("stamp = %q", text)
	}
	for name, src := range map[string]any{"PostgreSQL": want.In(time.FixedZone("X", -7200)), "SQLiteText": text, "SQLiteBytes": []byte(text)} {
		var d dbTime
		if err := d.Scan(src); err != nil || !d.Time.Equal(want) || d.Time.Location() != time.UTC {
			t.Errorf("%s: Scan = %v, %v; want %v in UTC", name, d.Time, err, want)
		}
	}
	var o sql.Null[dbTime]
	if err := o.Scan(nil); err != nil || orNil(o) != nil {
		t.Errorf("NULL: %v, %v", orNil(o), err)
	}
	if err := o.Scan(text); err != nil || orNil(o) == nil || !orNil(o).Equal(want) {
		t.Errorf("a stored time: %v, %v", orNil(o), err)
	}
	for _, bad := range []any{42, "yesterday"} {
		var d dbTime
		if err := d.Scan(bad); err == nil {
			t.Errorf("Scan(%v) succeeded", bad)
		}
	}
}

// TestJSONTextDecodesAsEncodingJSON checks the hand-written string decoding
// of stored values against encoding/json on every kind of escape.
func TestJSONTextDecodesAsEncodingJSON(t *testing.T) {
	for _, text := range []string{
		``, `plain`, `"quoted"`, `back\\slash`, "\x00\x1f\t\n\r\b\f", `<&>`, "\u2028\u2029", "é😀\U0010ffff",
		`{"a":[1.50,1e2,"\u00e9"]}`,
	} {
		encoded, err := json.Marshal(text)
		if err != nil {
			t.Fatal(err)
		}
		var got jsonText
		if err := json.Unmarshal(encoded, &got); err != nil || string(got) != text {
			t.Errorf("decode %s = %q, %v; want %q", encoded, got, err, text)
		}
	}
	for _, literal := range []string{`"\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00x"`, `"\/"`} {
		var want string
		if err := json.Unmarshal([]byte(literal), &want); err != nil {
			t.Fatal(err)
		}
		var got jsonText
		if err := json.Unmarshal([]byte(literal), &got); err != nil || string(got) != want {
			t.Errorf("decode %s = %q, %v; want %q as encoding/json", literal, got, err, want)
		}
	}
	var bad jsonText
	if err := json.Unmarshal([]byte(`12`), &bad); err == nil {
		t.Error("a stored value that is no JSON string decoded")
	}
}

// TestEncodeSnapshotAsJSONMarshal checks that EncodeSnapshot writes exactly
// what json.Marshal writes for the same snapshot as maps of storedValue,
// for every ASCII byte, invalid UTF-8, the line separators and non-ASCII
// text, in values, keys and object names.
func TestEncodeSnapshotAsJSONMarshal(t *testing.T) {
	var ascii []byte
	for c := range 0x80 {
		ascii = append(ascii, byte(c))
	}
	texts := []string{"", string(ascii), "\xff\xfe bad \xc3", "a\u2028b\u2029c", "héllo ☃ 😀", `{"a": [1, "<b>&"]}`}
	s := domain.Snapshot{}
	for i, text := range texts {
		s[text+"-object"] = map[string]domain.StoredValue{
			text:                 {Value: json.RawMessage(text)},
			"secret" + text:      {Secret: true, Sealed: []byte(text + "\x00\x01sealed")},
			fmt.Sprint("key", i): {Value: json.RawMessage(`"` + text + `"`)},
		}
	}
	s["empty"] = map[string]domain.StoredValue{}
	got, err := EncodeSnapshot(s)
	if err != nil {
		t.Fatalf("EncodeSnapshot: %v", err)
	}
	doc := map[string]map[string]storedValue{}
	for object, keys := range s {
		doc[object] = map[string]storedValue{}
		for key, v := range keys {
			doc[object][key] = storedValue{JSON: jsonText(v.Value), Secret: v.Secret, Sealed: v.Sealed}
		}
	}
	want, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if got != string(want) {
		t.Fatalf("EncodeSnapshot =\n%s\nwant\n%s", got, want)
	}
	if empty, _ := EncodeSnapshot(nil); empty != "{}" {
		t.Fatalf("EncodeSnapshot(nil) = %s, want {}", empty)
	}
}

// FuzzDecodeSnapshot checks that DecodeSnapshot's own parser and
// encoding/json agree on every input: the same error-ness, the same
// snapshot.
func FuzzDecodeSnapshot(f *testing.F) {
	encoded, err := EncodeSnapshot(domain.Snapshot{
		"db":   {"host": {Value: json.RawMessage(`"h\u00e9 \n"`)}, "pw": {Secret: true, Sealed: []byte{0, 1, 0xfe, 0xff}}},
		"flag": {"on": {Value: json.RawMessage(`true`)}, "empty": {}},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		encoded, `{}`, ` { } `, `{"a": {}}`, `{"a": {"k": {"json": "1", "secret": false}}}`,
		`{"a": {"k": {"json": "\ud83d\ude00"}}}`, `{"a": {"k": {"JSON": "1"}}}`, `{"a": null}`,
		`{"a": {"k": {"json": "1",}}}`, `{"a": {"k": {"sealed": "AQ=="}}} x`, `{"a": {"k": {"json": "\/\b"}}}`,
		`{"a": {"k": {"json": "1"}, "k": {"secret": true}}}`, "{\"a\": {\"k\": {\"json\": \"\xff\"}}}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gotErr := DecodeSnapshot(append([]byte(nil), b...))
		want, wantErr := decodeSnapshotJSON(b)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("DecodeSnapshot(%q) error = %v, encoding/json's %v", b, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeSnapshot(%q) = %#v\nencoding/json: %#v", b, got, want)
		}
	})
}
