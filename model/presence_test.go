package model_test

import (
	"slices"
	"testing"

	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

func TestPresenceAudience(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		createRoom(t, st, model.TypeOneToOne, base, 1, 4)
		big := []int64{1, 10, 11, 12, 13, 14} // six members
		createRoom(t, st, model.TypeGroup, base, big...)
		createRoom(t, st, model.TypeGroup, base, 12, 20) // 12's small room

		for name, tc := range map[string]struct {
			users, silent []int64
			limit         int
			want          map[int64][]int64
		}{
			"no limit: every room": {[]int64{1}, nil, 0,
				map[int64][]int64{1: {2, 3, 4, 10, 11, 12, 13, 14}}},
			"a room at the limit is pushed": {[]int64{1}, nil, 6,
				map[int64][]int64{1: {2, 3, 4, 10, 11, 12, 13, 14}}},
			"a room above the limit is not": {[]int64{1}, nil, 5,
				map[int64][]int64{1: {2, 3, 4}}},
			"a big room's member keeps its small rooms": {[]int64{12}, nil, 5,
				map[int64][]int64{12: {20}}},
			"changed users hear of each other": {[]int64{1, 2}, nil, 5,
				map[int64][]int64{1: {2, 3, 4}, 2: {1, 3}}},
			"silent users hear nothing": {[]int64{1, 2}, []int64{2}, 5,
				map[int64][]int64{1: {3, 4}, 2: {1, 3}}},
			"nobody asked": {nil, nil, 5, map[int64][]int64{}},
		} {
			t.Run(name, func(t *testing.T) {
				got, err := st.PresenceAudience(ctx, tc.users, tc.silent, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("audience %v, want %v", got, tc.want)
				}
				for u, want := range tc.want {
					if !slices.Equal(got[u], want) {
						t.Fatalf("audience %v, want %v", got, tc.want)
					}
				}
			})
		}
	})
}
