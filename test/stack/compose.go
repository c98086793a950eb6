package stack

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Compose is the part of a docker-compose file that the tests run: each
// service's image, command and environment.
type Compose struct {
	Services map[string]Service `yaml:"services"`
}

// Service is one service of a compose file.
type Service struct {
	Image       string      `yaml:"image"`
	Command     []string    `yaml:"command"`
	Environment Environment `yaml:"environment"`
}

// Environment is a service's environment, written in the file either as a
// map or as a list of NAME=value.
type Environment map[string]string

// UnmarshalYAML reads both forms of an environment.
func (e *Environment) UnmarshalYAML(n *yaml.Node) error {
	out := Environment{}
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			out[k] = v
		}
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, item := range list {
			k, v, _ := strings.Cut(item, "=")
			out[k] = v
		}
	default:
		return fmt.Errorf("line %d: an environment is a map or a list", n.Line)
	}
	*e = out
	return nil
}

// ComposeFile is the path of the repository's docker-compose.yml.
func ComposeFile() string { return filepath.Join(moduleRoot(), "docker-compose.yml") }

// RepoFile is the path of a file of the repository, given relative to its
// root (deploy/postgres-init.sql).
func RepoFile(rel string) string { return filepath.Join(moduleRoot(), filepath.FromSlash(rel)) }

// moduleRoot is the repository root, two levels above this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// LoadCompose reads a compose file.
func LoadCompose(path string) (*Compose, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the test names the compose file it runs.
	if err != nil {
		return nil, err
	}
	var c Compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &c, nil
}

// Service returns the service name, or an error naming it when the file has
// no such service.
func (c *Compose) Service(name string) (Service, error) {
	s, ok := c.Services[name]
	if !ok {
		return Service{}, fmt.Errorf("the compose file has no service %q", name)
	}
	return s, nil
}

// Mapping says what the test runs in place of what a compose file names:
// an address for each service, a role and a database for each of the
// file's, and the values of the variables the file interpolates.
type Mapping struct {
	// Hosts maps a service's name to the host:port the test runs it on.
	Hosts map[string]string
	// Users maps a role named in the file to the test's, with its password;
	// nil keeps every role (and password) as the file has it.
	Users map[string]*url.Userinfo
	// Databases maps a database named in the file to the test's; nil keeps
	// every name.
	Databases map[string]string
	// Variables hold the values of the file's ${NAME} interpolations.
	Variables map[string]string
}

// Environment returns env as the test runs it: each ${NAME} interpolated,
// and each URL that names a service of the file pointed at the test's
// process, with its role and database mapped and its query options kept.
func (m Mapping) Environment(env Environment) (map[string]string, error) {
	out := make(map[string]string, len(env))
	for k, v := range env {
		v, err := m.interpolate(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if v, err = m.url(v); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// interpolation is a compose ${NAME}, ${NAME:-default} or ${NAME:?error}.
var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate replaces every ${...} of v with the mapping's variable.
func (m Mapping) interpolate(v string) (string, error) {
	var err error
	out := interpolation.ReplaceAllStringFunc(v, func(match string) string {
		parts := interpolation.FindStringSubmatch(match)
		name, op, arg := parts[1], parts[2], parts[3]
		value, ok := m.Variables[name]
		switch {
		case ok && (value != "" || !strings.HasPrefix(op, ":")):
			return value
		case strings.HasSuffix(op, "-"):
			return arg
		case strings.HasSuffix(op, "?"):
			err = fmt.Errorf("the file requires variable %s (%s)", name, arg)
		}
		return value
	})
	return out, err
}

// url returns v pointed at the test's process when v is a URL naming a
// service of the file, else v unchanged.
func (m Mapping) url(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return v, nil
	}
	addr, ok := m.Hosts[u.Hostname()]
	if !ok {
		return "", fmt.Errorf("a URL names host %q, which the test runs nothing for", u.Hostname())
	}
	u.Host = addr
	if u.User != nil && m.Users != nil {
		user, ok := m.Users[u.User.Username()]
		if !ok {
			return "", fmt.Errorf("a URL names role %q, which the test has no role for", u.User.Username())
		}
		u.User = user
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" && m.Databases != nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		name, ok := m.Databases[db]
		if !ok {
			return "", fmt.Errorf("a URL names database %q, which the test has no database for", db)
		}
		u.Path = "/" + name
	}
	return u.String(), nil
}

// user maps a role of the file with its password.
func (m Mapping) user(name, password string) (string, string, error) {
	if m.Users == nil {
		return name, password, nil
	}
	u, ok := m.Users[name]
	if !ok {
		return "", "", fmt.Errorf("the file names role %q, which the test has no role for", name)
	}
	p, _ := u.Password()
	return u.Username(), p, nil
}

// database maps a database of the file.
func (m Mapping) database(name string) (string, error) {
	if m.Databases == nil {
		return name, nil
	}
	db, ok := m.Databases[name]
	if !ok {
		return "", fmt.Errorf("the file names database %q, which the test has no database for", name)
	}
	return db, nil
}
