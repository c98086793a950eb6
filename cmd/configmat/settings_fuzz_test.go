package main

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// secretSettings are the settings whose values hold passwords or keys: no
// error may quote them.
var secretSettings = map[string]bool{
	"DATABASE_URL": true, "MIGRATION_DATABASE_URL": true, "LISTEN_DATABASE_URL": true,
	"REDIS_URL": true, "ENCRYPTION_KEY": true, "ENCRYPTION_KEY_PREVIOUS": true,
}

// settingLine is one line of LoadSettings' error: the setting's name first.
var settingLine = regexp.MustCompile(`^([A-Z][A-Z0-9_]*): \S`)

// FuzzLoadSettings gives one fuzzed value to the settings that selector picks
// (bit i for the i-th setting LoadSettings reads) and checks that
// LoadSettings never panics, answers the same twice, accepts the defaults,
// names a setting it read at the start of every error line, and quotes no
// value of a secret-bearing setting.
func FuzzLoadSettings(f *testing.F) {
	for _, seed := range []struct {
		value    string
		selector uint64
	}{
		{"", 0}, {"true", ^uint64(0)}, {"0", 0xffff}, {"10/hour", 0xff00}, {"postgres://u:p@db/x", 0b10},
		{"sqlite:", 0b10}, {"sqlite://", 0b10}, {":99999", 1}, {"1h", ^uint64(0)}, {"-1s", ^uint64(0)},
		{"::1/128, 10.0.0.0/8", ^uint64(0)}, {"redis://127.0.0.1:6379/0", ^uint64(0)}, {"DEBUG", 0x5555555555555555},
		{"p\u00e4ssw\u00f6rd\x00-secret", ^uint64(0)}, {"9223372036854775808", ^uint64(0)},
	} {
		f.Add(seed.value, seed.selector)
	}
	var names []string
	seen := map[string]bool{}
	if _, err := LoadSettings(func(name string) string {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		return ""
	}); err != nil {
		f.Fatalf("the defaults are refused: %v", err)
	}
	f.Fuzz(func(t *testing.T, value string, selector uint64) {
		given := map[string]bool{}
		for i, name := range names {
			if selector&(1<<(uint(i)%64)) != 0 {
				given[name] = true
			}
		}
		getenv := func(name string) string {
			if given[name] {
				return value
			}
			return ""
		}
		s, err := LoadSettings(getenv)
		again, errAgain := LoadSettings(getenv)
		if !reflect.DeepEqual(s, again) || errText(err) != errText(errAgain) {
			t.Fatalf("LoadSettings answers differently twice: %+v, %v and %+v, %v", s, err, again, errAgain)
		}
		if err == nil {
			return
		}
		if strings.TrimSpace(value) == "" {
			t.Fatalf("no setting set, yet LoadSettings = %v", err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			m := settingLine.FindStringSubmatch(line)
			if m == nil || !seen[m[1]] {
				t.Fatalf("error line %q does not start with the name of a setting (%v)", line, names)
			}
		}
		if onlySecretsGiven(given) && distinctive(value) {
			quoted := strconv.Quote(value)
			if strings.Contains(err.Error(), value) || strings.Contains(err.Error(), quoted[1:len(quoted)-1]) {
				t.Fatalf("error %q quotes the value of a secret-bearing setting", err)
			}
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// onlySecretsGiven reports whether every setting given a value holds a secret.
func onlySecretsGiven(given map[string]bool) bool {
	for name := range given {
		if !secretSettings[name] {
			return false
		}
	}
	return true
}

// distinctive reports whether value is long enough and holds a character no
// error message is written with (non-ASCII or a control), so that finding it
// in an error means the error quotes it.
func distinctive(value string) bool {
	if len(strings.TrimSpace(value)) < 8 {
		return false
	}
	for _, r := range value {
		if r > unicode.MaxASCII || unicode.IsControl(r) {
			return true
		}
	}
	return false
}
