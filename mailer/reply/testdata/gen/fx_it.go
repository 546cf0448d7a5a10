package main
var fixturesIT []fixture
