-- failover_settings under the name it had before issue 13 (replication): refused, with the new name
failover_settings { replication = "async" }
