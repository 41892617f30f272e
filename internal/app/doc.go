// Package app holds Herald's application services: one type per area (Webhooks, with test
// sends; Deliveries; Control for redeliveries, cancels and replays; Stats; directory, tokens,
// catalog and events as they move here), each the single place that decides what a caller may do and then does it. The REST API (package
// api) calls them, and so will the end-user portal: both get their rights from here, so the
// portal cannot offer more, or less, than the API.
//
// # The pattern
//
// A service is a struct of small interfaces declared beside it, in its own file, naming only
// the store methods (or Temporal operations, URL policy, ...) it calls; never the whole
// *postgres.Store. Tests fake them by hand, without PostgreSQL:
//
//	type DeliveryStore interface {
//		Delivery(ctx context.Context, id string) (*herald.Delivery, error)
//		...
//	}
//	type Deliveries struct {
//		Store DeliveryStore
//		Dir   Directory
//		Auth  Authorizer
//	}
//
// Every method takes the request's context, which carries the caller (WithPrincipal, set
// once per request by the API's authentication), and starts by authorizing it with
// Authorizer: Admin for the backend's routes, Owner(ctx, owner, Read or Write) for an
// owner's resources. Owner is the one rule: an admin key may do anything; a user reads and
// writes its personal resources, reads an organization's as any member and writes them as
// owner or admin; a caller who may not see the owner gets ENotFound, one who may read but not
// write EForbidden. It looks a membership up at most once per request and organization: the
// roles it reads are remembered in the caller WithPrincipal put in the context.
//
// A method's input arrives as an Input[T], a function the service calls only after the
// caller is authorized: a caller who may not see a resource gets ENotFound whatever it sent,
// as the API has always answered. Decoding (JSON bodies, query strings) is the transport's;
// checks that need I/O (does the owner exist, is the URL allowed, is the event type in the
// catalog) are the service's; checks of a value alone are the domain type's Validate in the
// root package. Parsers that any transport can share (ParseLimit, ParseLogQuery) live here.
//
// Temporal is a port too: Workflows (and the narrower WebhookWorkflows, ReplayStarter) name
// what a service starts, cancels or reads, and the API implements them over the SDK client,
// so no service imports Temporal. Test sends go through TestSender, the delivery core.
//
// Errors are *herald.Error with a Herald code (herald.ENotFound, EInvalid with field details,
// ...) or a wrapped internal error; the service never knows about HTTP. The API's handlers
// are decode, call, encode, and return the error to one adapter (api's handle) that gives
// it to the one function mapping codes to statuses:
//
//	func (s *Server) getDelivery(c *gin.Context) error {
//		d, err := s.svc.deliveries.Delivery(c.Request.Context(), c.Param("id"))
//		if err != nil {
//			return err
//		}
//		c.PureJSON(http.StatusOK, d)
//		return nil
//	}
//
// Lists answer a Page (data and next_cursor), read with one item more than the limit.
package app
