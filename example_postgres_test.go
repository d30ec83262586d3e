package rtchat_test

import (
	"context"
	"database/sql"
	"log"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/rtchat/rtchat"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// README's "Postgres pool": as many idle connections as open ones, and
// pgx in exec mode, since bun inlines arguments. (Compiled, not run: it
// needs a Postgres.)
func Example_postgresPool() {
	sqldb, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/app?sslmode=disable&default_query_exec_mode=exec")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(20)
	sqldb.SetMaxIdleConns(20) // database/sql keeps only 2 idle by default
	db := bun.NewDB(sqldb, pgdialect.New())
	chat, err := rtchat.New(db, rtchat.WithEchoAuth(userFromApp))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		log.Fatal(err)
	}
}
