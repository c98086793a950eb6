package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// config builds a {object:{key:value}} from "object.key" -> JSON text.
func config(t *testing.T, kv map[string]string) map[string]map[string]json.RawMessage {
	t.Helper()
	out := map[string]map[string]json.RawMessage{}
	for path, v := range kv {
		object, key, ok := strings.Cut(path, ".")
		if !ok || !json.Valid([]byte(v)) {
			t.Fatalf("bad fixture %q = %q", path, v)
		}
		if out[object] == nil {
			out[object] = map[string]json.RawMessage{}
		}
		out[object][key] = json.RawMessage(v)
	}
	return out
}

func TestVariableNamesAndValues(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		want   []envVar
	}{
		{name: "object and key upper-cased, joined by _", config: map[string]string{"database.host": `"db.internal"`},
			want: []envVar{{Name: "DATABASE_HOST", Value: "db.internal", Path: "database.host"}}},
		{name: "- becomes _, mixed case upper-cased", config: map[string]string{"my-app.api-Key": `"k"`, "db_main.Port_2": `5432`},
			want: []envVar{{Name: "DB_MAIN_PORT_2", Value: "5432", Path: "db_main.Port_2"}, {Name: "MY_APP_API_KEY", Value: "k", Path: "my-app.api-Key"}}},
		{name: "a string as is, quotes and spaces kept", config: map[string]string{"a.s": `" say \"hi\"\n "`},
			want: []envVar{{Name: "A_S", Value: " say \"hi\"\n ", Path: "a.s"}}},
		{name: "the empty string", config: map[string]string{"a.s": `""`}, want: []envVar{{Name: "A_S", Value: "", Path: "a.s"}}},
		{name: "other JSON as its compact JSON text", config: map[string]string{
			"n.int": `5432`, "n.float": `1.50`, "n.exp": `1e-7`, "n.neg": `-3`, "b.t": `true`, "b.f": `false`, "z.null": `null`,
			"o.obj": `{ "a" : 1, "b" : [1, "x"] }`, "o.arr": `[ ]`, "o.str": `"{\"a\":1}"`,
		}, want: []envVar{
			{Name: "B_F", Value: "false", Path: "b.f"}, {Name: "B_T", Value: "true", Path: "b.t"},
			{Name: "N_EXP", Value: "1e-7", Path: "n.exp"}, {Name: "N_FLOAT", Value: "1.50", Path: "n.float"},
			{Name: "N_INT", Value: "5432", Path: "n.int"}, {Name: "N_NEG", Value: "-3", Path: "n.neg"},
			{Name: "O_ARR", Value: "[]", Path: "o.arr"}, {Name: "O_OBJ", Value: `{"a":1,"b":[1,"x"]}`, Path: "o.obj"},
			{Name: "O_STR", Value: `{"a":1}`, Path: "o.str"}, {Name: "Z_NULL", Value: "null", Path: "z.null"},
		}},
		{name: "no keys, no variables", config: map[string]string{}, want: []envVar{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := variables(config(t, tt.config))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestVariableCollisionsStopNamingBoth(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		// want are the lines of the error, in order.
		want []string
	}{
		{name: "_ in the object or in the key", config: map[string]string{"a_b.c": `1`, "a.b_c": `"secret-1"`},
			want: []string{"a.b_c and a_b.c both map to the variable A_B_C: rename one of them"}},
		{name: "- and _", config: map[string]string{"db.api-key": `"secret-2"`, "db.api_key": `"secret-3"`},
			want: []string{"db.api-key and db.api_key both map to the variable DB_API_KEY: rename one of them"}},
		{name: "case", config: map[string]string{"db.Host": `"x"`, "db.host": `"y"`, "db.HOST": `"z"`, "db.port": `1`},
			want: []string{"db.HOST, db.Host and db.host all map to the variable DB_HOST: rename all but one of them"}},
		{name: "every collision reported at once", config: map[string]string{"a.b-c": `1`, "a.b_c": `2`, "x.y": `3`, "x-y.z": `4`, "x.y_z": `5`},
			want: []string{
				"a.b-c and a.b_c both map to the variable A_B_C: rename one of them",
				"x-y.z and x.y_z both map to the variable X_Y_Z: rename one of them",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := variables(config(t, tt.config))
			if err == nil {
				t.Fatalf("no error; variables %q", got)
			}
			var ce *collisionError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *collisionError", err)
			}
			if lines := strings.Split(err.Error(), "\n"); !slices.Equal(lines, tt.want) {
				t.Errorf("error lines\n%q\nwant\n%q", lines, tt.want)
			}
			if strings.Contains(err.Error(), "secret-") {
				t.Errorf("the error shows a value: %v", err)
			}
		})
	}
}

func TestVariablesRefuseWhatNoEnvironmentCarries(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]map[string]json.RawMessage
		want   string
	}{
		{name: "a NUL character", values: map[string]map[string]json.RawMessage{"a": {"b": json.RawMessage(`"x\u0000secret"`)}},
			want: "a.b: its value holds a NUL character, which no environment variable can carry"},
		{name: "a name with = (a server breaking the name rules)", values: map[string]map[string]json.RawMessage{"a": {"b=c": json.RawMessage(`1`)}},
			want: "a.b=c: its name does not map to an environment variable name (letters, digits and _)"},
		{name: "a non-ASCII name", values: map[string]map[string]json.RawMessage{"a": {"é": json.RawMessage(`1`)}},
			want: "a.é: its name does not map to an environment variable name (letters, digits and _)"},
		{name: "not JSON", values: map[string]map[string]json.RawMessage{"a": {"b": json.RawMessage(`{nope`)}},
			want: "a.b: the server sent a value that is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := variables(tt.values)
			var ke *keyError
			if !errors.As(err, &ke) || err.Error() != tt.want {
				t.Errorf("error %v, want the keyError %q", err, tt.want)
			}
		})
	}
}

func TestTheConfigurationWinsOverTheParentEnvironment(t *testing.T) {
	base := []string{"PATH=/bin", "DATABASE_HOST=from-parent", "HOME=/root", "DATABASE_HOST=again", "OTHER=kept", "NOEQUALS"}
	got := withVariables(base, []envVar{{Name: "DATABASE_HOST", Value: "from-config"}, {Name: "NEW_ONE", Value: "a=b"}})
	want := []string{"PATH=/bin", "HOME=/root", "OTHER=kept", "NOEQUALS", "DATABASE_HOST=from-config", "NEW_ONE=a=b"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
