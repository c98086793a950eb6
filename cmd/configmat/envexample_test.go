package main

import (
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/joho/godotenv"
)

// TestEnvExampleListsEverySettingWithItsDefault reads the shipped
// .env.example as a dotenv parser does and checks it against LoadSettings:
// it lists exactly the settings the program reads, and each value it gives
// is that setting's default (loading the whole file gives the same settings
// as loading nothing).
func TestEnvExampleListsEverySettingWithItsDefault(t *testing.T) {
	example, err := godotenv.Read(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatalf("reading .env.example: %v", err)
	}
	read := map[string]bool{}
	defaults, err := LoadSettings(func(name string) string { read[name] = true; return "" })
	if err != nil {
		t.Fatalf("the defaults do not load: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(read)) {
		if _, ok := example[name]; !ok {
			t.Errorf(".env.example does not list %s, which the program reads", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(example)) {
		if !read[name] {
			t.Errorf(".env.example lists %s, which no setting reads", name)
		}
	}
	fromExample, err := LoadSettings(func(name string) string { return example[name] })
	if err != nil {
		t.Fatalf(".env.example's values do not load: %v", err)
	}
	if !reflect.DeepEqual(fromExample, defaults) {
		t.Errorf(".env.example's values are not the defaults:\n got %+v\nwant %+v", fromExample, defaults)
	}
}
