package starter

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"

	"github.com/herald-webhooks/herald"
)

// TemporalError is what a failed Temporal call (a workflow start, a cancel, a query) is for
// the client, with err as its cause for the log. Only a Temporal that could not be reached or
// did not answer in time is unavailable (503: the same call may succeed later); an already
// started workflow is a conflict and a missing one not found; anything else (an invalid
// argument, a missing namespace, a refused permission) is internal: Herald asked something
// Temporal will never grant, so retrying cannot help and an operator must look at the cause.
func TemporalError(err error) error {
	var (
		he           *herald.Error
		unavailable  *serviceerror.Unavailable
		deadline     *serviceerror.DeadlineExceeded
		exhausted    *serviceerror.ResourceExhausted
		nsDown       *serviceerror.NamespaceUnavailable
		aborted      *serviceerror.Aborted
		canceled     *serviceerror.Canceled
		started      *serviceerror.WorkflowExecutionAlreadyStarted
		exists       *serviceerror.AlreadyExists
		notFound     *serviceerror.NotFound
		invalid      *serviceerror.InvalidArgument
		nsNotFound   *serviceerror.NamespaceNotFound
		precondition *serviceerror.FailedPrecondition
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &he):
		return err
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &unavailable), errors.As(err, &deadline), errors.As(err, &exhausted),
		errors.As(err, &nsDown), errors.As(err, &aborted), errors.As(err, &canceled):
		return &herald.Error{Code: herald.EUnavailable, Message: "Temporal is unavailable; try again", Cause: err}
	case errors.As(err, &started), errors.As(err, &exists):
		return &herald.Error{Code: herald.EConflict, Message: "the workflow is already started", Cause: err}
	case errors.As(err, &notFound):
		return &herald.Error{Code: herald.ENotFound, Message: "the workflow was not found in Temporal", Cause: err}
	case errors.As(err, &invalid):
		return &herald.Error{Code: herald.EInternal, Message: "Temporal refused the request as invalid; retrying will not help", Cause: err}
	case errors.As(err, &nsNotFound):
		return &herald.Error{Code: herald.EInternal, Message: "Herald's Temporal namespace does not exist", Cause: err}
	case errors.As(err, &precondition):
		return &herald.Error{Code: herald.EInternal, Message: "Temporal refused the request in its current state", Cause: err}
	}
	return &herald.Error{Code: herald.EInternal, Message: "Temporal refused the request", Cause: err}
}
