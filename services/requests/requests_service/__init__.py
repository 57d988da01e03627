"""The requests service: 群众点单、党员报到、吹哨报到."""
