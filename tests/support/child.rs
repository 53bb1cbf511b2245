//! Reading a spawned server's log as it is written.

use std::io::BufRead;
use std::process::Child;
use std::sync::mpsc;

/// Takes the child's piped stderr and sends each of its lines, as written, on the returned channel
/// (a thread reads until the process closes it).
pub fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    lines
}
