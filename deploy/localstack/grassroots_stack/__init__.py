"""The local Grassroots stack: real Kafka and PostgreSQL on loopback, every service its own process.

No Docker: Kafka is assembled from Maven Central jars and run with `java` in KRaft
mode; PostgreSQL is a project-local cluster made with the machine's `initdb`.
"""
