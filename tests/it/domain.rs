//! Domain tests of the lifecycle and replay, as given / when / then.
