// Package handler holds the business rules of each event family (message,
// room, session, presence): validate, check permission, write in one
// transaction, publish. Handlers never touch the transport: they answer
// through the Outbox the consumer gives them, and return errors (a
// *protocol.Error or a model sentinel) that the consumer turns into error
// frames.
package handler
