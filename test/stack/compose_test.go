package stack

import (
	"net/url"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// testMapping maps the services, role and database of a small compose file.
var testMapping = Mapping{
	Hosts:     map[string]string{"postgres": "127.0.0.1:5432", "pgbouncer": "127.0.0.1:6543", "redis": "127.0.0.1:6380"},
	Users:     map[string]*url.Userinfo{"svc": url.UserPassword("test_app", "pw")},
	Databases: map[string]string{"configmat": "configmat_test_1"},
	Variables: map[string]string{"KEY": "k1"},
}

func TestMappingEnvironment(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "URL through a service, query kept", in: "postgres://svc:secret@pgbouncer:5432/configmat?sslmode=disable&x=1",
			want: "postgres://test_app:pw@127.0.0.1:6543/configmat_test_1?sslmode=disable&x=1"},
		{name: "redis URL", in: "redis://redis:6379/0", want: "redis://127.0.0.1:6380/0"},
		{name: "plain value", in: "false", want: "false"},
		{name: "required variable", in: "${KEY:?set KEY}", want: "k1"},
		{name: "default of an unset variable", in: "${OTHER:-d}", want: "d"},
		{name: "missing required variable", in: "${OTHER:?set OTHER}", wantErr: "requires variable OTHER"},
		{name: "unknown host", in: "postgres://svc@elsewhere:5432/configmat", wantErr: `host "elsewhere"`},
		{name: "unknown role", in: "postgres://root@postgres:5432/configmat", wantErr: `role "root"`},
		{name: "unknown database", in: "postgres://svc@postgres:5432/other", wantErr: `database "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testMapping.Environment(Environment{"V": tt.in})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got["V"] != tt.want {
				t.Fatalf("got %q, %v; want %q", got["V"], err, tt.want)
			}
		})
	}
}

func TestEnvironmentForms(t *testing.T) {
	for _, doc := range []string{"environment: {A: x, B: \"1\"}", "environment: [A=x, B=1]"} {
		var s Service
		if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if s.Environment["A"] != "x" || s.Environment["B"] != "1" || len(s.Environment) != 2 {
			t.Errorf("%s read as %v", doc, s.Environment)
		}
	}
}

func TestPgBouncerFromCompose(t *testing.T) {
	env := Environment{"DB_HOST": "postgres", "DB_NAME": "configmat", "DB_USER": "svc", "DB_PASSWORD": "file-pw",
		"POOL_MODE": "transaction", "SERVER_LOGIN_RETRY": "1"}
	c, err := PgBouncerFromCompose(env, testMapping)
	if err != nil {
		t.Fatal(err)
	}
	ini := c.ini(7000, "/x/userlist.txt")
	for _, want := range []string{
		"configmat_test_1 = host=127.0.0.1 port=5432 auth_user=test_app\n",
		"listen_port = 7000\n", "pool_mode = transaction\n", "server_login_retry = 1\n",
		"auth_type = md5\n", "ignore_startup_parameters = extra_float_digits\n",
	} {
		if !strings.Contains(ini, want) {
			t.Errorf("the ini file lacks %q:\n%s", want, ini)
		}
	}
	if c.Password != "pw" {
		t.Errorf("the auth_file password is the file's, not the mapped role's")
	}
	env["CLIENT_TLS_SSLMODE"] = "require"
	if _, err := PgBouncerFromCompose(env, testMapping); err == nil || !strings.Contains(err.Error(), "CLIENT_TLS_SSLMODE") {
		t.Errorf("a variable the harness does not apply: error %v, want one naming it", err)
	}
}
