package spec

import (
	"context"
	"errors"
	"fmt"

	"github.com/dnssync/dnssync/internal/model"
	"github.com/dnssync/dnssync/internal/safefile"
)

// readFile reads a config or zone file (what says which, for messages)
// through safefile: only a regular file, under the size limit, stopping
// when ctx is cancelled. A problem is a read-file diagnostic at the file's
// first line.
func readFile(ctx context.Context, path, what string, o safefile.Options) ([]byte, *Diagnostic) {
	data, err := safefile.ReadFile(ctx, path, o)
	if err == nil {
		return data, nil
	}
	var (
		nr  *safefile.NotRegularError
		big *safefile.TooLargeError
		msg string
	)
	switch {
	case errors.As(err, &nr):
		via := ""
		if nr.Resolved != "" {
			via = " (via symlink to " + nr.Resolved + ")"
		}
		msg = fmt.Sprintf("%s is %s%s, not a regular file; dnssync reads only regular files", what, nr.Kind, via)
	case errors.As(err, &big):
		name, hint := "the size limit", ""
		if big.LimitName != "" {
			name, hint = big.LimitName, fmt.Sprintf("; raise %s in dnssync.yaml if it is meant to be this large", big.LimitName)
		}
		msg = fmt.Sprintf("%s is over %s (%s): it was not read%s", what, name, safefile.FormatSize(big.Limit), hint)
		if big.Size > 0 {
			msg = fmt.Sprintf("%s is %d bytes, over %s (%s): it was not read%s", what, big.Size, name, safefile.FormatSize(big.Limit), hint)
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("not loaded: %v", ctx.Err())
	default:
		msg = fmt.Sprintf("cannot read %s: %v", what, unwrapPathError(err))
	}
	return nil, &Diagnostic{Pos: model.Pos{File: path, Line: 1}, Rule: RuleReadFile, Severity: SeverityError, Message: msg}
}
