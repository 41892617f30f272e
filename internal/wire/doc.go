// Package wire is the contract between Herald's workflows, their activities and whoever starts,
// signals or queries them (API, starter, worker, bench): task queue, workflow IDs and type
// names, signal and query names, search attributes, and the types every workflow and activity
// takes and returns. It is a leaf: it imports nothing of Herald's, so every package may import
// it without a cycle.
//
// These types are recorded in Temporal histories that outlive a deploy (a delivery retries for
// up to a day), so they are encoded by Go field name and carry no JSON tags: the public REST
// API's types (package herald) can rename their JSON fields without changing what a running
// workflow decodes. Adding a field is safe (old payloads decode it as zero); renaming or
// removing one is not. A payload written before this package existed decodes too: see
// RetryPolicy.UnmarshalJSON.
package wire
