package org.usockets4j.bench;

import java.util.Locale;

/** What a benchmark server does with the bytes it receives. */
enum Mode {
    /** Writes every received byte back. */
    ECHO,
    /** Answers each request (each "\r\n\r\n") with a fixed 5-byte "hello" response. */
    HTTP,
    /** Holds connections open and discards whatever arrives: for resident memory per connection. */
    IDLE;

    static Mode parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode must be echo, http or idle, not " + s);
        }
    }
}
