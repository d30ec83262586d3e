package model

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/uptrace/bun"
)

// The store reads and writes the app's models (Custom) around its own
// queries: an insert writes the app's values instead of rtchat's rows, and
// every read that hands rows out (to serializers, permission checks, hooks)
// reads the app's values of those rows with one more query per replaced
// model, by primary key. A model the app did not replace costs nothing
// more, so the statements of the default path stay what they are.

// newInsert returns the insert of rows (a pointer to one of rtchat's models,
// or a pointer to a slice of them): of the app's values instead when the
// app replaced the model name, each row then getting its value as Custom.
func (s *Store) newInsert(db bun.IDB, name string, rows any) *bun.InsertQuery {
	cm := s.custom.Model(name)
	if cm == nil {
		return db.NewInsert().Model(rows)
	}
	v := reflect.ValueOf(rows)
	if v.Elem().Kind() != reflect.Slice {
		return db.NewInsert().Model(cm.appFor(v))
	}
	list := v.Elem()
	apps := reflect.MakeSlice(reflect.SliceOf(reflect.PointerTo(cm.Type)), list.Len(), list.Len())
	for i := range list.Len() {
		apps.Index(i).Set(reflect.ValueOf(cm.appFor(list.Index(i))))
	}
	ptr := reflect.New(apps.Type())
	ptr.Elem().Set(apps)
	return db.NewInsert().Model(ptr.Interface())
}

// selectApps reads the app's values of model cm matching where, and calls
// fn with each value's embedded rtchat row and the value.
func selectApps(ctx context.Context, db bun.IDB, cm *CustomModel, fn func(base reflect.Value, app any), where string, args ...any) error {
	ptr := reflect.New(reflect.SliceOf(reflect.PointerTo(cm.Type)))
	if err := db.NewSelect().Model(ptr.Interface()).Where(where, args...).Scan(ctx); err != nil {
		return mapErr(err)
	}
	list := ptr.Elem()
	for i := range list.Len() {
		app := list.Index(i)
		fn(app.Elem().FieldByIndex(cm.base), app.Interface())
	}
	return nil
}

// attachByID sets the Custom of rows (pointers to rtchat's model name, each
// with a string ID) to the app's values.
func attachByID[T any](ctx context.Context, db bun.IDB, cm *CustomModel, rows []*T, id func(*T) string, set func(*T, any)) error {
	if cm == nil || len(rows) == 0 {
		return nil
	}
	byID := make(map[string][]*T, len(rows))
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		k := id(r)
		if _, seen := byID[k]; !seen {
			ids = append(ids, k)
		}
		byID[k] = append(byID[k], r)
	}
	return selectApps(ctx, db, cm, func(base reflect.Value, app any) {
		for _, r := range byID[base.FieldByName("ID").String()] {
			set(r, app)
		}
	}, "id IN (?)", bun.In(ids))
}

// attachMessages sets the Custom of msgs when the app replaced Message.
func (s *Store) attachMessages(ctx context.Context, db bun.IDB, msgs []*Message) error {
	return attachByID(ctx, db, s.custom.Model("Message"), msgs,
		func(m *Message) string { return m.ID }, func(m *Message, app any) { m.Custom = app })
}

// attachMessage is attachMessages for one message.
func (s *Store) attachMessage(ctx context.Context, m *Message) error {
	return s.attachMessages(ctx, s.db, []*Message{m})
}

// attachRelations sets the Custom of the attachments, reactions and read
// receipts of msgs, for the models the app replaced.
func (s *Store) attachRelations(ctx context.Context, msgs []*Message) error {
	var atts []*Attachment
	var rxs []*Reaction
	var rrs []*ReadReceipt
	for _, m := range msgs {
		atts = append(atts, m.Attachments...)
		rxs = append(rxs, m.Reactions...)
		rrs = append(rrs, m.ReadReceipts...)
	}
	if err := attachByID(ctx, s.db, s.custom.Model("Attachment"), atts,
		func(a *Attachment) string { return a.ID }, func(a *Attachment, app any) { a.Custom = app }); err != nil {
		return err
	}
	if err := attachByID(ctx, s.db, s.custom.Model("Reaction"), rxs,
		func(r *Reaction) string { return r.ID }, func(r *Reaction, app any) { r.Custom = app }); err != nil {
		return err
	}
	return attachByID(ctx, s.db, s.custom.Model("ReadReceipt"), rrs,
		func(r *ReadReceipt) string { return r.ID }, func(r *ReadReceipt, app any) { r.Custom = app })
}

// attachNotifications sets the Custom of stored notifications.
func (s *Store) attachNotifications(ctx context.Context, ns []*Notification) error {
	return attachByID(ctx, s.db, s.custom.Model("Notification"), ns,
		func(n *Notification) string { return n.ID }, func(n *Notification, app any) { n.Custom = app })
}

// attachSession sets the Custom of a session row.
func (s *Store) attachSession(ctx context.Context, sess *Session) error {
	return attachByID(ctx, s.db, s.custom.Model("Session"), []*Session{sess},
		func(x *Session) string { return x.ID }, func(x *Session, app any) { x.Custom = app })
}

// attachMembers sets the Custom of memberships when the app replaced
// Member, with one query by (room_id, user_id).
func (s *Store) attachMembers(ctx context.Context, db bun.IDB, ms []*Member) error {
	cm := s.custom.Model("Member")
	if cm == nil || len(ms) == 0 {
		return nil
	}
	type key struct {
		room string
		user int64
	}
	byKey := make(map[key]*Member, len(ms))
	var rooms []string
	var users []int64
	seenRoom, seenUser := map[string]bool{}, map[int64]bool{}
	for _, m := range ms {
		byKey[key{m.RoomID, m.UserID}] = m
		if !seenRoom[m.RoomID] {
			seenRoom[m.RoomID] = true
			rooms = append(rooms, m.RoomID)
		}
		if !seenUser[m.UserID] {
			seenUser[m.UserID] = true
			users = append(users, m.UserID)
		}
	}
	return selectApps(ctx, db, cm, func(base reflect.Value, app any) {
		if m := byKey[key{base.FieldByName("RoomID").String(), base.FieldByName("UserID").Int()}]; m != nil {
			m.Custom = app
		}
	}, "room_id IN (?) AND user_id IN (?)", bun.In(rooms), bun.In(users))
}

// attachMember is attachMembers for one membership (nil is no membership).
func (s *Store) attachMember(ctx context.Context, m *Member) error {
	if m == nil {
		return nil
	}
	return s.attachMembers(ctx, s.db, []*Member{m})
}

// attachMemberMap is attachMembers for memberships by room.
func (s *Store) attachMemberMap(ctx context.Context, ms map[string]*Member) error {
	list := make([]*Member, 0, len(ms))
	for _, m := range ms {
		list = append(list, m)
	}
	return s.attachMembers(ctx, s.db, list)
}

// extraColumns lists the app's columns of model cm (none when cm is nil)
// for a column list, each prefixed: ", p"col1", p"col2"".
func extraColumns(cm *CustomModel, prefix string) string {
	if cm == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range cm.Extra {
		b.WriteString(", " + prefix + `"` + f.Column + `"`)
	}
	return b.String()
}

// extraValues appends the values of the app's columns of app, in the order
// of extraColumns, each a parameter cast to its column's type.
func (p *params) extraValues(cm *CustomModel, app any) error {
	for _, f := range cm.Extra {
		v, err := sqlArg(f.Value(app))
		if err != nil {
			return fmt.Errorf("rtchat: column %s: %w", f.Column, err)
		}
		p.printf(", %s::%s", p.arg(v), f.sqlType)
	}
	return nil
}
