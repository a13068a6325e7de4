package aliyun

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dnssync/dnssync/internal/providers"
)

// Error codes the client reacts to (spec §4.2).
const (
	CodeThrottling            = "Throttling"
	CodeServiceUnavailable    = "ServiceUnavailable"
	CodeInternalError         = "InternalError"
	CodeBusy                  = "Busy"
	CodeNetworkIOError        = "NetworkIOError"
	CodeSignatureNonceUsed    = "SignatureNonceUsed"
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	CodeTaskIsBeingProcessed  = "TaskIsBeingProcessed"
	CodeDomainNotExist        = "DomainNotExist"
	CodeParameterIllegal      = "ParameterIllegal"
)

// ErrTaskInProgress is providers.ErrBusy: an *Error whose code is
// TaskIsBeingProcessed matches it (errors.Is). Another task for the same
// domain is still running; the write was refused, so it is safe to submit
// it again once that task has finished. The error also matches
// providers.ErrTransient.
var ErrTaskInProgress = providers.ErrBusy

// ErrDomainNotFound matches (errors.Is) an *Error whose code is
// DomainNotExist: the domain is not in this account.
var ErrDomainNotFound = errors.New("aliyun: domain not in this account")

// Error is an error answer of the Domain API (spec §4.1). Use errors.As to
// get at it; transient codes also match providers.ErrTransient.
type Error struct {
	Action     string // operation that failed
	Code       string // machine code, e.g. "Throttling.User"
	Message    string // server text (credentials redacted)
	RequestID  string
	HostID     string
	HTTPStatus int
	Recommend  string // troubleshooting URL, if the server sent one
}

// Error renders the code, status, request id and message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("aliyun: ")
	if e.Action != "" {
		b.WriteString(e.Action)
		b.WriteString(": ")
	}
	code := e.Code
	if code == "" {
		code = "(no code)"
	}
	fmt.Fprintf(&b, "%s (HTTP %d", code, e.HTTPStatus)
	if e.RequestID != "" {
		b.WriteString(", request ")
		b.WriteString(e.RequestID)
	}
	b.WriteString(")")
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is makes transient codes match providers.ErrTransient and the two
// domain-level conditions match their sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case providers.ErrTransient:
		return e.Transient()
	case providers.ErrBusy:
		return e.Code == CodeTaskIsBeingProcessed
	case ErrDomainNotFound, providers.ErrUnknownDomain:
		return e.Code == CodeDomainNotExist
	}
	return false
}

// Transient reports whether trying again later may succeed: throttling,
// busy or unavailable service, back-end I/O trouble, a replayed nonce, a
// domain with a task in progress, and any 5xx.
func (e *Error) Transient() bool {
	switch {
	case isThrottling(e.Code), e.Code == CodeServiceUnavailable, e.Code == CodeBusy,
		e.Code == CodeNetworkIOError, e.Code == CodeInternalError,
		e.Code == CodeSignatureNonceUsed, e.Code == CodeTaskIsBeingProcessed:
		return true
	}
	return e.HTTPStatus >= 500
}

func isThrottling(code string) bool {
	return code == CodeThrottling || strings.HasPrefix(code, CodeThrottling+".")
}

// notProcessed reports whether the answer proves the server did not carry
// out the request: these may be retried even for writes.
func (e *Error) notProcessed() bool {
	return isThrottling(e.Code) || e.Code == CodeServiceUnavailable || e.Code == CodeBusy ||
		e.Code == CodeSignatureNonceUsed || e.HTTPStatus == 429
}

// outcomeUnknown reports whether a write that got this answer may or may not
// have been carried out: server faults after the request reached the
// back end.
func (e *Error) outcomeUnknown() bool {
	if e.notProcessed() {
		return false
	}
	return e.HTTPStatus >= 500 || e.Code == CodeInternalError || e.Code == CodeNetworkIOError
}

// readRetryable reports whether a read that got this answer is worth another
// attempt inside the client.
func (e *Error) readRetryable() bool {
	return e.notProcessed() || e.HTTPStatus >= 500 || e.Code == CodeNetworkIOError || e.Code == CodeInternalError
}
