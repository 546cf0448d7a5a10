package main
var fixturesCA []fixture
