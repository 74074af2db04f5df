// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// A Rust program, built by Debian's rustc twice: with the v0 symbol mangling
// (`-C symbol-mangling-version=v0`: `_RNv...11split_words`) and the legacy one
// (`_ZN...11split_words17h<hash>E`). It counts the words of 10 lines with
// wc::count::split_words, then calls wc::count::checked on 3 inputs, one of
// which panics; the panic is caught (catch_unwind), so 1 panic unwinds
// checked's frame. Prints "words 40 checked 2 panics 1" and exits 0.
use std::panic;

mod count {
    #[inline(never)]
    pub fn split_words(s: &str) -> usize {
        s.split_whitespace().count()
    }

    #[inline(never)]
    pub fn checked(n: usize) -> usize {
        if n == 0 {
            panic!("no words");
        }
        n
    }
}

fn main() {
    let lines = ["a b c d"; 10];
    let mut words = 0;
    for l in lines.iter() {
        words += count::split_words(l);
    }
    panic::set_hook(Box::new(|_| {}));
    let (mut ok, mut panics) = (0, 0);
    for n in [3usize, 0, 5] {
        match panic::catch_unwind(|| count::checked(n)) {
            Ok(_) => ok += 1,
            Err(_) => panics += 1,
        }
    }
    println!("words {} checked {} panics {}", words, ok, panics);
}
