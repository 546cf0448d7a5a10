package main
var fixturesES []fixture
