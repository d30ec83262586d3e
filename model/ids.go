package model

import "github.com/google/uuid"

// newID returns a new row id.
func newID() string { return uuid.NewString() }
