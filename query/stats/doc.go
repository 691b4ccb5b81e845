// Package stats answers Stats API queries (Plausible's v2, and v1 through
// it) from the events and sessions tables. It has no HTTP in it: callers
// resolve the site and its goals, then hand it a query.
//
// A query goes through six stages, one file each, in this order:
//
//  1. parse.go: a request's JSON becomes a Query (ParseQuery; ParseQueryObject
//     for a request already decoded into its fields).
//  2. validate.go: the rules that refuse a query, each a QueryError naming
//     the field at fault (Query.Validate).
//  3. plan.go: the Query resolved against a site becomes a plan: the date
//     range as instants in the site's zone, "time" as a bucket, goals,
//     order, exact or approximate counting and sampling (Engine.resolve,
//     Engine.newPlan, Engine.counting); imported.go decides whether
//     imported data joins it (Engine.planImports).
//  4. sql.go: the plan becomes one statement and its parameters
//     (builder.statement); request values only travel as parameters.
//  5. run.go: Engine.Run takes a query through the stages; execute sends
//     the statement to the store and scans its rows, compare does the same
//     over the comparison period.
//  6. shape.go: rows become the Response (labels, metric values, Money,
//     comparisons, meta and the query echo).
//
// Beside the stages, closed tables and helpers: dims.go (dimensions),
// filters.go (the filter tree), daterange.go (dates and spans), countries.go
// and regions.go (names), segments.go (saved segments' filters),
// imported.go (imported data), and the other entry points built on the
// same stages: v1.go (Stats API v1), funnel.go (funnels and realtime),
// export.go (CSV exports), propkeys.go (property names).
package stats
