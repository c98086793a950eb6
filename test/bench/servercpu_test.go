package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/test/pgtest"
)

// clockTicksPerSecond is the unit of /proc/<pid>/stat's CPU times (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTicksPerSecond = 100

// backendCPU measures the CPU time of the server processes serving one
// PostgreSQL database, read from /proc: only meaningful when the server runs
// on this machine, which newBackendCPU checks.
type backendCPU struct {
	admin *sqlx.DB
	name  string
}

// newBackendCPU returns the sampler of db's server processes, or nil when
// their /proc entries cannot be read (a server on another machine, or in a
// container of its own).
func newBackendCPU(tb testing.TB, db *pgtest.DB) *backendCPU {
	tb.Helper()
	s := &backendCPU{admin: db.Admin(tb), name: db.Name}
	var pid int
	if err := s.admin.GetContext(tb.Context(), &pid, `SELECT pg_backend_pid()`); err != nil {
		tb.Fatalf("read the server process of the admin connection: %v", err)
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err != nil || !bytes.HasPrefix(comm, []byte("postgres")) {
		tb.Logf("PostgreSQL's processes are not on this machine: pg-cpu-µs/op is not reported")
		return nil
	}
	return s
}

// sample returns the CPU time used so far by each server process of the
// database, by process ID; a nil sampler returns nil.
func (s *backendCPU) sample(tb testing.TB) map[int]time.Duration {
	tb.Helper()
	if s == nil {
		return nil
	}
	var pids []int
	if err := s.admin.SelectContext(tb.Context(), &pids,
		`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, s.name); err != nil {
		tb.Fatalf("list the database's server processes: %v", err)
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		if cpu, ok := processTicks(pid); ok {
			out[pid] = cpu
		}
	}
	return out
}

// since returns the CPU time the database's server processes used since
// start: a process that began meanwhile counts whole, one that ended
// meanwhile (the pool closed it) is missed.
func (s *backendCPU) since(tb testing.TB, start map[int]time.Duration) time.Duration {
	tb.Helper()
	var total time.Duration
	for pid, cpu := range s.sample(tb) {
		total += cpu - start[pid]
	}
	return total
}

// processTicks reads a process's user and system CPU time from
// /proc/<pid>/stat (fields 14 and 15, after the parenthesized name).
func processTicks(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, false
	}
	fields := bytes.Fields(stat[end+1:])
	// fields[0] is field 3 (state): utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(string(fields[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(fields[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicksPerSecond, true
}
