package main
var fixturesFR []fixture
