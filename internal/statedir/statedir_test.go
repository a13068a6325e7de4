package statedir

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv makes the test binary act as a second dnssync process that holds
// the lock of the named directory until its stdin closes.
const helperEnv = "DNSSYNC_STATEDIR_LOCK_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(lockHelper(dir))
	}
	os.Exit(m.Run())
}

func lockHelper(dir string) int {
	unlock, err := Lock(dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	// Wait for the parent to close stdin, then release.
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	unlock()
	return 0
}

func TestLockInProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}
	if got := Holder(dir); got != os.Getpid() {
		t.Errorf("Holder = %d, want own pid %d", got, os.Getpid())
	}
	held, pid, err := Locked(dir)
	if err != nil || !held || pid != os.Getpid() {
		t.Errorf("Locked = %v, %d, %v; want true, %d, nil", held, pid, err, os.Getpid())
	}

	_, err = Lock(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: err = %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("state directory %s is locked by another dnssync process (pid %d)", dir, os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Errorf("second Lock error = %q, want it to contain %q", err, want)
	}

	unlock()
	unlock() // idempotent
	if got := Holder(dir); got != 0 {
		t.Errorf("Holder after unlock = %d, want 0", got)
	}
	if held, _, _ := Locked(dir); held {
		t.Errorf("Locked after unlock = true")
	}
	unlock2, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestLockAcrossProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	_, err = Lock(dir)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock while helper holds it: err = %v, want *LockedError", err)
	}
	if le.PID != cmd.Process.Pid || le.Dir != dir {
		t.Errorf("LockedError = %+v, want dir %s pid %d", le, dir, cmd.Process.Pid)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", cmd.Process.Pid)) {
		t.Errorf("error %q does not name the holder's pid", err)
	}
	held, pid, err := Locked(dir)
	if err != nil || !held || pid != cmd.Process.Pid {
		t.Errorf("Locked = %v, %d, %v; want true, %d", held, pid, err, cmd.Process.Pid)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after helper exit: %v", err)
	}
	unlock()
}

func TestLockReleasedWhenHolderKilled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	// kill -9: the kernel drops the flock with the process; the stale pid
	// left in the file must not block the next apply.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after holder was killed: %v", err)
	}
	if got := Holder(dir); got != os.Getpid() {
		t.Errorf("Holder = %d, want own pid", got)
	}
	unlock()
}

func TestLockedWithoutDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	held, pid, err := Locked(dir)
	if err != nil || held || pid != 0 {
		t.Errorf("Locked(missing) = %v, %d, %v", held, pid, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Locked created the directory")
	}
}

func TestEnsureRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Lock(file) err = %v", err)
	}
}
