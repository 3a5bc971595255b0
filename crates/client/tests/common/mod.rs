//! The real `calleague-sim` binary for these tests, and a tiny scripted server for the
//! replies the simulator never gives (5xx, a bare array, a hanging reply).
#![allow(dead_code)]

pub const KEY: &str = "sk_client_test_90ab";

pub type Sim = calleague_testkit::SimProcess;

pub fn spawn_sim(extra: &[&str]) -> Sim {
    calleague_testkit::spawn_sim(KEY, extra).expect("the simulator starts")
}
