package model

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Errors returned by the store, whatever the database.
var (
	// ErrNotFound means the row does not exist.
	ErrNotFound = errors.New("rtchat: not found")
	// ErrConflict means a unique constraint refused the write.
	ErrConflict = errors.New("rtchat: conflict")
	// ErrUnavailable means the database could not be reached or was busy;
	// the operation may be retried.
	ErrUnavailable = errors.New("rtchat: database unavailable")
)

// The store recognises driver errors by their methods rather than by their
// types, so that an app importing rtchat links only the driver it opens
// itself (see deps_test.go at the root).

// sqlStateError is a Postgres server error: pgx's *pgconn.PgError and
// lib/pq's *pq.Error both report their SQLSTATE this way.
type sqlStateError interface {
	error
	SQLState() string
}

// sqliteError is a SQLite error carrying its extended result code, as
// modernc.org/sqlite's *sqlite.Error does.
type sqliteError interface {
	error
	Code() int
}

// retryableError is a driver error that says whether it happened before
// anything reached the server (pgx's connection errors do).
type retryableError interface {
	error
	SafeToRetry() bool
}

// SQLite result codes (https://sqlite.org/rescode.html). The primary code is
// the low byte of an extended one.
const (
	sqliteBusy                 = 5
	sqliteLocked               = 6
	sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT | 6<<8
	sqliteConstraintUnique     = 2067 // SQLITE_CONSTRAINT | 8<<8
)

// Postgres SQLSTATE codes and classes
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// pgUnavailableClasses are the SQLSTATE prefixes of errors that say the
// database cannot serve now rather than that the statement is wrong:
// 08 connection exception, 28 authorisation and 3D unknown database (both
// answered only to a connection attempt), 53 insufficient resources (too
// many connections, disk full), 57P0 operator intervention (shutdown,
// terminated backend, cannot connect now).
var pgUnavailableClasses = []string{"08", "28", "3D", "53", "57P0"}

// mapErr translates a driver error into the store's sentinels, keeping the
// original in the chain for the log.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrUnavailable):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case isUnavailable(err):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	if pgErr, ok := errors.AsType[sqlStateError](err); ok {
		return pgErr.SQLState() == pgUniqueViolation
	}
	if sqErr, ok := errors.AsType[sqliteError](err); ok {
		code := sqErr.Code()
		return code == sqliteConstraintUnique || code == sqliteConstraintPrimaryKey
	}
	return false
}

func isUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	// The link closed under the driver (pgx reads an unexpected EOF when
	// the server's side of the socket goes away mid-answer or mid-connect):
	// whether a statement in flight, a COMMIT included, took effect is
	// unknown, and the client retries with its client_msg_id.
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	if r, ok := errors.AsType[retryableError](err); ok && r.SafeToRetry() {
		return true
	}
	if pgErr, ok := errors.AsType[sqlStateError](err); ok {
		code := pgErr.SQLState()
		if code == pgSerializationFailure || code == pgDeadlockDetected {
			return true
		}
		for _, class := range pgUnavailableClasses {
			if strings.HasPrefix(code, class) {
				return true
			}
		}
		return false
	}
	if sqErr, ok := errors.AsType[sqliteError](err); ok {
		code := sqErr.Code() & 0xff
		return code == sqliteBusy || code == sqliteLocked
	}
	return false
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
