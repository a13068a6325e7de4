package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxLinks bounds symlink hops while resolving, as the kernel does (ELOOP).
const maxLinks = 255

var errLoop = errors.New("too many levels of symbolic links")

// resolve follows every symbolic link in p, component by component, and
// returns the physical path it names together with the physical directories
// in which a followed link lives. Those are the directories whose events can
// change what p means: a Kubernetes "..data" swap, git-sync replacing its
// worktree link, a config file symlinked elsewhere.
//
// When a component does not exist, resolved is the deepest existing
// directory reached so far (watching it shows the missing part appear) and
// err wraps fs.ErrNotExist.
func resolve(p string) (resolved string, linkDirs []string, err error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", nil, err
	}
	resolved = string(filepath.Separator)
	rest := split(abs)
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, c)
		fi, err := os.Lstat(next)
		if err != nil {
			return resolved, linkDirs, err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if hops++; hops > maxLinks {
			return resolved, linkDirs, fmt.Errorf("%s: %w", p, errLoop)
		}
		linkDirs = append(linkDirs, resolved)
		target, err := os.Readlink(next)
		if err != nil {
			return resolved, linkDirs, err
		}
		if filepath.IsAbs(target) {
			resolved = string(filepath.Separator)
		}
		rest = append(split(target), rest...)
	}
	return resolved, linkDirs, nil
}

func split(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}
