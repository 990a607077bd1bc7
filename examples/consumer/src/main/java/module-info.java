/** A user's module: it reads org.usockets4j and nothing of its internals. */
module com.example.consumer {
    requires org.usockets4j;
}
