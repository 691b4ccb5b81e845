package stats

import (
	"testing"
	"time"

	"github.com/sillage-analytics/sillage"
)

// hit is a visit of one event by its own visitor, the way Plausible's
// tests build events without a user id.
func hit(visitor uint64, name, path string, mods ...func(*sillage.Event)) *visit {
	return newVisit(1, visitor, visitor*10, at(9, int(visitor%50)), nil).event(0, name, path, mods...)
}

func device(d string) func(*sillage.Event) { return func(e *sillage.Event) { e.Device = d } }

// TestConversionRatesParity: conversion rates by property, page and
// device under a goal filter, from Plausible's special-metrics tests
// (its goals renamed to the scenario's: Signup for AddToCart, Visit
// /blog/** for Visit /blog**). Rates have two decimals, as Plausible's.
func TestConversionRatesParity(t *testing.T) {
	author := func(a string) func(*sillage.Event) { return props("author", a) }
	t.Run("by property", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(10, 0), nil).event(0, "pageview", "/blog/2", author("Marko")).event(time.Minute, "pageview", "/blog/3", author("Marko"))
		e := loaded(t, join(hit(1, "pageview", "/blog/1", author("Uku")), hit(2, "pageview", "/blog/2", author("Uku")),
			hit(3, "pageview", "/blog/3", author("Uku")), hit(4, "pageview", "/blog/1", author("Marko")), u,
			hit(6, "pageview", "/blog/x"), hit(7, "pageview", "/", author("Marko")), hit(8, "pageview", "/")), at(20, 0))
		runCases(t, e, []queryCase{
			{"visitors, events, conversion rate", day(`"visitors","events","conversion_rate"`,
				`,"filters":[["is","event:goal",["Visit /blog/**"]]],"dimensions":["event:props:author"]`),
				[]string{"Uku | 3 3 37.5", "Marko | 2 3 25", "(none) | 1 1 12.5"}},
		})
	})
	t.Run("by property, the rate alone", func(t *testing.T) {
		e := loaded(t, join(hit(1, "pageview", "/blog/1", author("Uku")), hit(2, "pageview", "/")), at(20, 0))
		runCases(t, e, []queryCase{
			{"conversion rate", day(`"conversion_rate"`, `,"filters":[["is","event:goal",["Visit /blog/**"]]],"dimensions":["event:props:author"]`),
				[]string{"Uku | 50"}},
		})
	})
	t.Run("by page", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(10, 0), nil).event(0, "Signup", "/it/register").event(time.Minute, "Signup", "/it/register")
		e := loaded(t, join(hit(1, "pageview", "/en/register"), hit(2, "Signup", "/en/register"), hit(3, "Signup", "/en/register"),
			u, hit(4, "pageview", "/it/register")), at(20, 0))
		runCases(t, e, []queryCase{
			{"group conversion rate", day(`"visitors","events","group_conversion_rate"`, `,"dimensions":["event:page"],"filters":[["is","event:goal",["Signup"]]]`),
				[]string{"/en/register | 2 2 66.67", "/it/register | 1 2 50"}},
		})
	})
	t.Run("by device, two goals", func(t *testing.T) {
		u := newVisit(1, 50, 500, at(10, 0), device("Desktop")).event(0, "Signup", "/").event(time.Minute, "Purchase", "/")
		e := loaded(t, join(hit(1, "pageview", "/", device("Mobile")), hit(2, "Signup", "/", device("Mobile")), hit(3, "Signup", "/", device("Mobile")),
			u, hit(4, "pageview", "/", device("Desktop"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"group conversion rate", day(`"visitors","events","group_conversion_rate"`, `,"dimensions":["visit:device"],"filters":[["is","event:goal",["Signup","Purchase"]]]`),
				[]string{"Mobile | 2 2 66.67", "Desktop | 1 2 50"}},
		})
	})
	t.Run("by device, the rate alone", func(t *testing.T) {
		e := loaded(t, join(hit(1, "pageview", "/", device("Mobile")), hit(2, "Signup", "/", device("Mobile"))), at(20, 0))
		runCases(t, e, []queryCase{
			{"conversion rate", day(`"conversion_rate"`, `,"dimensions":["visit:device"],"filters":[["is","event:goal",["Signup"]]]`),
				[]string{"Mobile | 50"}},
		})
	})
}
