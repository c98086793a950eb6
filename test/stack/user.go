package stack

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// unprivilegedName is the OS user the harness creates when it runs as root.
const unprivilegedName = "configmat-test"

// User is the OS user that PostgreSQL and PgBouncer run as: the test's own
// user, or when the test runs as root, an unprivileged one.
type User struct {
	// Name is the user's login name.
	Name     string
	uid, gid uint32
	// switchTo says whether commands switch to the user (the test runs as
	// root); uid and gid are then the user's.
	switchTo bool
}

var (
	userOnce sync.Once
	theUser  *User
	userErr  error
)

// Unprivileged returns the user to run servers as: the test's own, or when
// it is root, the user configmat-test, created (useradd) when missing.
func Unprivileged(t testing.TB) *User {
	t.Helper()
	userOnce.Do(func() { theUser, userErr = findUser() })
	if userErr != nil {
		t.Fatalf("stack: %v", userErr)
	}
	return theUser
}

// findUser returns the test's own user, or the unprivileged one.
func findUser() (*User, error) {
	if os.Geteuid() != 0 {
		me, err := user.Current()
		if err != nil {
			return nil, err
		}
		return &User{Name: me.Username}, nil
	}
	u, err := user.Lookup(unprivilegedName)
	if errors.As(err, new(user.UnknownUserError)) {
		add := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", unprivilegedName)
		out, addErr := add.CombinedOutput()
		// Exit status 9: another test process created it meanwhile.
		if addErr != nil && add.ProcessState.ExitCode() != 9 {
			return nil, errors.New("useradd " + unprivilegedName + ": " + addErr.Error() + ": " + string(out))
		}
		u, err = user.Lookup(unprivilegedName)
	}
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &User{Name: u.Username, uid: uint32(uid), gid: uint32(gid), switchTo: true}, nil
}

// Command returns a command that runs as the user.
func (u *User) Command(name string, args ...string) *exec.Cmd {
	// #nosec G204 -- the test harness runs the servers it found (PostgreSQL, PgBouncer) with arguments it made.
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	if u.switchTo {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid}}
	}
	return cmd
}

// TempDir returns a new directory that the user owns, with mode 0700,
// removed when t ends. It is made outside t.TempDir, whose parent only the
// test's own user may enter.
func (u *User) TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "configmat-stack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	u.own(t, dir)
	return dir
}

// own gives path to the user.
func (u *User) own(t testing.TB, path string) {
	t.Helper()
	if u.switchTo {
		if err := os.Chown(path, int(u.uid), int(u.gid)); err != nil {
			t.Fatal(err)
		}
	}
}

// writeFileAs writes a file readable by the user only.
func writeFileAs(t testing.TB, u *User, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	u.own(t, path)
}
