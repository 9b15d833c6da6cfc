//! Alert rules over the warehouse: evaluation, state, receivers.
