//! End-to-end tests against real components: the `simak` binary, a real Kafka-protocol broker
//! (tansu) on loopback, real files. One test binary, so linking happens once.

mod accounts;
mod alerts;
mod auth;
mod backup;
mod browser;
mod classify;
mod cli;
mod complaints;
mod contract;
mod crash;
mod demo;
mod faults;
mod harness;
mod pipeline;
mod replicas;
mod review;
mod security;
mod sources;
