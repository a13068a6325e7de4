package tencentcloud

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dnssync/dnssync/internal/providers"
)

// Error codes the client acts on (spec §2.2, §2.3).
const (
	CodeRequestLimitExceeded = "RequestLimitExceeded"
	CodeBatchTaskLimit       = "RequestLimitExceeded.BatchTaskLimit" // > 80 batch submissions/hour/IP
	CodeBatchTaskCountLimit  = "InvalidParameter.BatchTaskCountLimit"
	CodeBatchLimitUndo       = "InvalidParameter.BatchLimitUndo"
	CodeFrequencyLimit       = "FailedOperation.FrequencyLimit"
	CodeOperationTooFrequent = "InvalidParameter.OperationIsTooFrequent"
	CodeInternalError        = "InternalError"
	CodeUnknowError          = "FailedOperation.UnknowError" // sic
	CodeResourceUnavailable  = "ResourceUnavailable"
	CodeResourceInUse        = "ResourceInUse"
	CodeNoDataOfRecord       = "ResourceNotFound.NoDataOfRecord"
	CodeDomainNotExists      = "InvalidParameterValue.DomainNotExists"
	CodeRecordIDInvalid      = "InvalidParameter.RecordIdInvalid"
	CodeSignatureFailure     = "AuthFailure.SignatureFailure"
	CodeSignatureExpire      = "AuthFailure.SignatureExpire"
	CodeSecretIDNotFound     = "AuthFailure.SecretIdNotFound"
)

// ErrDomainNotFound matches (errors.Is) an *APIError whose code says the
// domain is not in the account.
var ErrDomainNotFound = errors.New("tencentcloud: domain not in this account")

// APIError is an error answer of the API: Response.Error with the request
// id. Use errors.As to reach it. Transient codes match
// providers.ErrTransient, and "too many batch tasks running" matches
// providers.ErrBusy.
type APIError struct {
	Code      string // e.g. "InvalidParameter.RecordLineInvalid"
	Message   string // the service's text, shortened
	RequestID string
	Action    string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("tencentcloud dnspod ")
	b.WriteString(e.Action)
	b.WriteString(": ")
	b.WriteString(e.Code)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is lets errors.Is match the provider-neutral sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case providers.ErrTransient:
		return e.Transient()
	case providers.ErrBusy:
		return e.Code == CodeBatchTaskCountLimit || e.Code == CodeBatchLimitUndo
	case ErrDomainNotFound:
		return e.Code == CodeDomainNotExists
	}
	return false
}

// Transient reports whether the same request may succeed later:
// throttling of any kind, busy or unavailable service, too many batch tasks
// running, and the service's unspecified failures.
func (e *APIError) Transient() bool {
	switch e.Code {
	case CodeBatchTaskCountLimit, CodeBatchLimitUndo, CodeFrequencyLimit, CodeOperationTooFrequent,
		CodeInternalError, CodeUnknowError, CodeResourceUnavailable, CodeResourceInUse:
		return true
	}
	return isThrottle(e.Code)
}

func isThrottle(code string) bool {
	return code == CodeRequestLimitExceeded || strings.HasPrefix(code, CodeRequestLimitExceeded+".")
}

// notProcessed reports whether the answer proves that nothing was done, so
// that even a write may be sent again at once (after a back-off):
// frequency refusals. The hourly batch quota is excluded: a retry within
// seconds cannot succeed.
func (e *APIError) notProcessed() bool {
	if e.Code == CodeBatchTaskLimit {
		return false
	}
	return isThrottle(e.Code) || e.Code == CodeFrequencyLimit || e.Code == CodeOperationTooFrequent
}

// readRetryable reports whether a read that got this answer is worth
// another attempt inside the client.
func (e *APIError) readRetryable() bool {
	return e.notProcessed() || e.Code == CodeInternalError || e.Code == CodeUnknowError ||
		e.Code == CodeResourceUnavailable
}

// outcomeUnknown reports whether a write that got this answer may have been
// carried out: the service failed somewhere inside.
func (e *APIError) outcomeUnknown() bool {
	return e.Code == CodeInternalError || e.Code == CodeUnknowError
}
