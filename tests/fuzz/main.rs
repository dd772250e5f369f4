//! `fuzz [inputs per parser] [seed]`: feeds generated input to every parser
//! that takes bytes from outside (see `harness/fuzz.rs`) and prints what
//! each answered; exits non-zero if any panicked.

fn main() {
    let mut args = std::env::args().skip(1);
    let inputs = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("a number of inputs"));
    let seed = args.next().map_or(0x5eed, |n| n.parse().expect("a seed"));
    let started = std::time::Instant::now();
    let report = ecb_tests::fuzz::run(inputs, seed);
    for (parser, fed, panics) in &report.parsers {
        println!("{parser:24} {fed:>12} inputs {panics:>6} panics");
    }
    println!("seed {seed}, {:.1} s", started.elapsed().as_secs_f64());
    if !report.clean() {
        std::process::exit(1);
    }
}
